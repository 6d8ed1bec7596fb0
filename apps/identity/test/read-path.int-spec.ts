// The read by NHS number runs straight on the pool (a named statement, no Prisma pipeline): it must
// answer exactly what the Prisma read answers — names, addresses, telecom, GP, merge state.
import { createPrismaClientWithPool } from '@trellis/database';
import { identity } from '@trellis/contracts';
import { PrismaClient } from '../src/generated/prisma/client';
import type { NewPatient } from '../src/app/patients/patients.repository';
import { PatientsRepository } from '../src/app/patients/patients.repository';
import { IdentityHarness, person, startIdentity } from './harness';

const G = identity.v1.Gender;

describe('identity read path (pool vs Prisma)', () => {
  let h: IdentityHarness;
  beforeAll(async () => {
    h = await startIdentity();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers the same record as the Prisma read, merged and survivor numbers included', async () => {
    const c = h.client();
    const survivor = (
      await c.registerPatient({
        patient: person({ family: 'Quillfeather', given: ['Maud'], birthDate: '1952-06-01' }),
        overrideDuplicates: false,
        overrideReason: '',
      })
    ).patient!.nhsNumber;
    const dup = (
      await c.registerPatient({
        patient: person({
          family: 'Quillfeather',
          given: ['Maudie'],
          birthDate: '1952-06-01',
          gender: G.GENDER_FEMALE,
        }),
        overrideDuplicates: true,
        overrideReason: 'unsure at the desk',
      })
    ).patient!.nhsNumber;
    await c.mergePatients({
      supersededNhsNumber: dup,
      survivorNhsNumber: survivor,
      expectedSupersededVersion: 1,
      expectedSurvivorVersion: 1,
      reason: 'same person',
    });

    const { client: prisma, pool } = createPrismaClientWithPool(PrismaClient, {
      url: h.schema.url,
      schema: h.schema.schema,
      poolSize: 2,
    });
    try {
      const viaPool = new PatientsRepository(prisma, pool);
      const viaPrisma = new PatientsRepository(prisma);
      for (const nhs of [survivor, dup, '9990000018']) {
        // twice: the second read runs the statement already prepared on the connection
        for (let i = 0; i < 2; i++) {
          expect(await viaPool.read(nhs)).toEqual(await viaPrisma.find(nhs));
        }
      }
      const s = await viaPool.read(survivor);
      expect(s?.supersededNhsNumbers).toEqual([dup]);
      expect(s?.names.length).toBeGreaterThan(0);
      expect((await viaPool.read(dup))?.mergedInto).toBe(survivor);
    } finally {
      await prisma.$disconnect();
    }
    expect(pool.ended).toBe(true);
  });

  // Registration takes the new record from its insert instead of reading it back: it must be
  // the record the read answers, with and without a GP, periods, historic names and addresses.
  it('the record the registration insert answers is the record read back', async () => {
    const { client: prisma, pool } = createPrismaClientWithPool(PrismaClient, {
      url: h.schema.url,
      schema: h.schema.schema,
      poolSize: 2,
    });
    const now = new Date('2026-12-07T15:30:00.123Z');
    const base: Omit<NewPatient, 'nhsNumber'> = {
      names: [
        { use: 'official', family: "O'Brien-Hale", given: ['Siobhan', 'Mary'], prefix: ['Dr'] },
        {
          use: 'maiden',
          family: 'Hale',
          given: ['Siobhan'],
          prefix: [],
          period: { start: '1980-02-03', end: '2004-07-10' },
        },
      ],
      gender: 'female',
      birthDate: '1980-02-03',
      addresses: [
        {
          use: 'home',
          lines: ['1 Mill Lane', 'Flat 2'],
          city: 'Leeds',
          district: 'West Yorkshire',
          postcode: 'LS1 4AP',
          period: { start: '2010-01-01' },
        },
        {
          use: 'old',
          lines: [],
          city: 'York',
          district: '',
          postcode: 'YO1 7HH',
          period: { start: '2001-05-01', end: '2009-12-31' },
        },
      ],
      telecom: [{ system: 'phone', value: '0113 496 0000', use: 'home' }],
      confidentiality: 'normal',
      registrationKey: 'OBRIENHALE|SIOBHAN|1980-02-03|female',
      duplicateOverride: false,
    };
    const cases: NewPatient[] = [
      {
        ...base,
        nhsNumber: '9998765005',
        gp: { odsCode: 'B82005', region: 'north-east', period: { start: '2020-03-04' } },
      },
      { ...base, nhsNumber: '9998765013', telecom: [], addresses: [], duplicateOverride: true },
    ];
    try {
      const repo = new PatientsRepository(prisma, pool);
      for (const p of cases) {
        const inserted = await repo.inSqlTransaction((tx) => tx.insertPatient(p, now));
        expect(inserted.nhsNumber).toBe(p.nhsNumber);
        expect(inserted).toEqual(await repo.find(p.nhsNumber));
      }
    } finally {
      await prisma.$disconnect();
    }
  });
});
