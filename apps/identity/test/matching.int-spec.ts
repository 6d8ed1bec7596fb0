import { identity } from '@trellis/contracts';
import { createPrismaClient } from '@trellis/database';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrismaClient } from '../src/generated/prisma/client';
import { insertBatch } from '../src/seed/bulk-insert';
import { seedFaker, syntheticPerson } from '../src/seed/synthetic';
import { IdentityHarness, startIdentity } from './harness';
import { LOOKALIKES, NEGATIVES, PEOPLE, type Person, type Variant } from './matching/pairs';

const pb = identity.v1;
const DISTRACTORS = 3000;

function details(p: Omit<Person, 'id'>): identity.v1.PatientDetails {
  const names: identity.v1.HumanName[] = [
    {
      use: pb.NameUse.NAME_USE_USUAL,
      family: p.family,
      given: p.given.split(' '),
      prefix: [],
      period: undefined,
    },
  ];
  if (p.oldFamily) {
    names.push({
      use: pb.NameUse.NAME_USE_MAIDEN,
      family: p.oldFamily,
      given: p.given.split(' '),
      prefix: [],
      period: { start: '', end: '2005-06-30' },
    });
  }
  const addresses: identity.v1.Address[] = [
    {
      use: pb.AddressUse.ADDRESS_USE_HOME,
      lines: ['1 Test Street'],
      city: 'Testham',
      district: '',
      postcode: p.postcode,
      period: undefined,
    },
  ];
  if (p.oldPostcode) {
    addresses.push({
      use: pb.AddressUse.ADDRESS_USE_OLD,
      lines: ['9 Old Lane'],
      city: 'Oldham',
      district: '',
      postcode: p.oldPostcode,
      period: { start: '', end: '2020-01-31' },
    });
  }
  return {
    names,
    gender: p.gender === 'M' ? pb.Gender.GENDER_MALE : pb.Gender.GENDER_FEMALE,
    birthDate: p.birthDate,
    addresses,
    telecom: [],
    gpOdsCode: 'B82001',
    gpStart: '',
    confidentiality: pb.Confidentiality.CONFIDENTIALITY_NORMAL,
  };
}

function query(p: Omit<Person, 'id'>, v: Partial<Variant> = {}): identity.v1.TracePatientsRequest {
  const gender = v.gender === null ? undefined : (v.gender ?? p.gender);
  const postcode = v.postcode === null ? '' : (v.postcode ?? p.postcode);
  return {
    family: v.family ?? p.family,
    given: v.given ?? p.given,
    gender:
      gender === 'M'
        ? pb.Gender.GENDER_MALE
        : gender === 'F'
          ? pb.Gender.GENDER_FEMALE
          : pb.Gender.GENDER_UNSPECIFIED,
    birthDate: v.birthDate ?? p.birthDate,
    birthDateFrom: '',
    birthDateTo: '',
    postcode,
    gpOdsCode: '',
    mode: pb.TraceMode.TRACE_MODE_FUZZY,
    maxResults: 10,
    minScore: 0,
    singleMatch: false,
  };
}

/**
 * Precision/recall of fuzzy trace on the hand-made set: 50 indexed people with ≥ 200 variant
 * queries, 8 look-alikes (twins, namesakes) indexed next to them, 20 hard-negative queries and
 * 3,000 synthetic distractors. Every hit above the default threshold counts: a hit on the right
 * person is a true positive, any other hit a false positive; a variant whose person is not hit is
 * a false negative.
 */
describe('trace matching quality (hand-made variant pairs)', () => {
  let h: IdentityHarness;
  beforeAll(async () => {
    h = await startIdentity({ rangeSize: 10_000 });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('reaches precision ≥ 0.98 and recall ≥ 0.95', async () => {
    const c = h.client();
    const ids = new Map<string, string>();
    for (const p of PEOPLE) {
      const res = await c.registerPatient({
        patient: details(p),
        overrideDuplicates: true,
        overrideReason: 'matching fixture',
      });
      ids.set(p.id, res.patient!.nhsNumber);
    }
    for (const p of LOOKALIKES) {
      await c.registerPatient({
        patient: details(p),
        overrideDuplicates: true,
        overrideReason: 'matching fixture (look-alike)',
      });
    }
    const prisma = createPrismaClient(PrismaClient, {
      url: h.schema.url,
      schema: h.schema.schema,
      poolSize: 2,
    });
    seedFaker(7);
    await insertBatch(
      prisma,
      'test_run',
      Array.from({ length: DISTRACTORS }, () => syntheticPerson()),
    );
    await prisma.$disconnect();

    let tp = 0;
    let fp = 0;
    let fn = 0;
    let pairs = 0;
    const byKind: Record<string, { pairs: number; found: number; falseHits: number }> = {};
    const misses: unknown[] = [];
    const falseHits: unknown[] = [];
    for (const p of PEOPLE) {
      for (const v of p.variants) {
        pairs++;
        const k = (byKind[v.kind] ??= { pairs: 0, found: 0, falseHits: 0 });
        k.pairs++;
        const q = query(p, v);
        const r = await c.tracePatients(q);
        const want = ids.get(p.id)!;
        const hitIds = r.hits.map((x) => x.patient!.nhsNumber);
        if (hitIds.includes(want)) {
          tp++;
          k.found++;
        } else {
          fn++;
          misses.push({
            person: p.id,
            variant: v,
            best: r.hits[0] ? { score: r.hits[0].score, on: r.hits[0].matchedOn } : null,
          });
        }
        const wrong = r.hits.filter((x) => x.patient!.nhsNumber !== want);
        fp += wrong.length;
        k.falseHits += wrong.length;
        for (const w of wrong)
          falseHits.push({
            person: p.id,
            variant: v,
            hit: w.patient!.names[0],
            score: w.score,
            on: w.matchedOn,
          });
      }
    }
    for (const n of NEGATIVES) {
      const r = await c.tracePatients(query(n));
      fp += r.hits.length;
      for (const w of r.hits)
        falseHits.push({
          negative: `${n.given} ${n.family}`,
          hit: w.patient!.names[0],
          score: w.score,
          on: w.matchedOn,
        });
    }
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    const report = {
      pairs,
      negatives: NEGATIVES.length,
      distractors: DISTRACTORS,
      tp,
      fp,
      fn,
      precision,
      recall,
      byKind,
      misses,
      falseHits,
    };
    const out = join(__dirname, '../../../tmp');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'identity-matching-report.json'), JSON.stringify(report, null, 2));
    process.stdout.write(
      `matching: pairs=${pairs} tp=${tp} fp=${fp} fn=${fn} precision=${precision.toFixed(4)} recall=${recall.toFixed(4)}\n`,
    );
    expect(pairs).toBeGreaterThanOrEqual(200);
    expect(precision).toBeGreaterThanOrEqual(0.98);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  }, 300_000);
});
