import { events, identity } from '@trellis/contracts';
import { isValidNhsNumber } from '@trellis/nhs-number';
import { READ_SQL, type RecordRow, rowToRecord } from '../src/app/patients/record.sql';
import { ALL_SCOPES, IdentityHarness, person, rpcError, startIdentity, Status } from './harness';

const G = identity.v1.Gender;
const C = identity.v1.Confidentiality;
const MODE = identity.v1.TraceMode;

function trace(over: Partial<identity.v1.TracePatientsRequest>): identity.v1.TracePatientsRequest {
  return {
    family: '',
    given: '',
    gender: G.GENDER_UNSPECIFIED,
    birthDate: '',
    birthDateFrom: '',
    birthDateTo: '',
    postcode: '',
    gpOdsCode: '',
    mode: MODE.TRACE_MODE_FUZZY,
    maxResults: 0,
    minScore: 0,
    singleMatch: false,
    ...over,
  };
}

const register = (h: IdentityHarness, p: identity.v1.PatientDetails, scopes = ALL_SCOPES) =>
  h.client(scopes).registerPatient({ patient: p, overrideDuplicates: false, overrideReason: '' });

describe('PatientService over gRPC (real PostgreSQL)', () => {
  let h: IdentityHarness;
  beforeAll(async () => {
    h = await startIdentity();
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('RegisterPatient', () => {
    it("writes version 1's snapshot as the record reads back (names, addresses and GP with periods)", async () => {
      const base = person({
        family: 'Achterberg',
        given: ['Liesbeth', 'Anna'],
        birthDate: '1964-07-19',
      });
      const details: identity.v1.PatientDetails = {
        ...base,
        gender: G.GENDER_FEMALE,
        names: [
          ...base.names,
          {
            use: identity.v1.NameUse.NAME_USE_MAIDEN,
            family: "O'Brien-Vos",
            given: ['Liesbeth'],
            prefix: ['Ms'],
            period: { start: '', end: '1990-06-01' },
          },
        ],
        addresses: [
          ...base.addresses,
          {
            use: identity.v1.AddressUse.ADDRESS_USE_OLD,
            lines: ['2 Low Road', 'Flat 3'],
            city: 'York',
            district: 'North Yorkshire',
            postcode: 'YO1 7HH',
            period: { start: '2001-02-03', end: '2022-03-31' },
          },
        ],
        gpStart: '2019-09-09',
      };
      const res = await register(h, details);
      const nhs = res.patient!.nhsNumber;
      const [row] = await h.sql<RecordRow>(READ_SQL, [nhs]);
      const [version] = await h.sql<{ snapshot: unknown; version: number }>(
        'SELECT snapshot, version FROM patient_version WHERE nhs_number = $1',
        [nhs],
      );
      // what the registration wrote before the version joined the insert: JSON of the record read back
      expect(version).toEqual({
        snapshot: JSON.parse(JSON.stringify(rowToRecord(row!))),
        version: 1,
      });
    });

    it('allocates a valid NHS number from the configured range and writes version 1, history and an event', async () => {
      const res = await register(
        h,
        person({
          family: 'Okonkwo',
          given: ['Adaeze'],
          birthDate: '1991-11-02',
          gender: G.GENDER_FEMALE,
        }),
      );
      const nhs = res.patient!.nhsNumber;
      expect(isValidNhsNumber(nhs)).toBe(true);
      expect(Number(nhs.slice(0, 9))).toBeGreaterThanOrEqual(h.rangeFirst);
      expect(res.patient!.version).toBe(1);
      expect(res.patient!.gp).toMatchObject({ odsCode: 'B82001', region: 'yorkshire' });
      const [version] = await h.sql<{ change: string }>(
        'SELECT change FROM patient_version WHERE nhs_number = $1',
        [nhs],
      );
      expect(version!.change).toBe('registered');
      const events = await h.sql<{
        ce_type: string;
        key: string;
        ods_code: string;
        region: string;
        topic: string;
      }>(
        "SELECT ce_type, key, ods_code, region, topic FROM outbox_events WHERE key = $1 AND topic = 'trellis.identity.patient.v1'",
        [nhs],
      );
      expect(events).toEqual([
        {
          ce_type: 'uk.nhs.trellis.identity.PatientRegistered.v1',
          key: nhs,
          ods_code: 'B82001',
          region: 'yorkshire',
          topic: 'trellis.identity.patient.v1',
        },
      ]);
    });

    it('refuses a likely duplicate with the candidate (single match) and writes nothing', async () => {
      const first = await register(
        h,
        person({
          family: 'Pemberton',
          given: ['Harriet'],
          birthDate: '1975-04-19',
          gender: G.GENDER_FEMALE,
          postcode: 'M1 1AE',
        }),
      );
      const before = await h.sql<{ n: string }>('SELECT count(*)::text AS n FROM patient');
      const err = await rpcError(
        register(
          h,
          person({
            family: 'Pemberton',
            given: ['Harriet'],
            birthDate: '1975-04-19',
            gender: G.GENDER_FEMALE,
            postcode: 'M1 1AE',
          }),
        ),
      );
      expect(err.code).toBe(Status.ALREADY_EXISTS);
      expect(err.reason).toBe('DUPLICATE_PATIENT');
      expect(err.fieldViolations).toEqual([
        expect.objectContaining({
          field: 'patient',
          rule: 'duplicate.single-match',
          message: expect.stringContaining(first.patient!.nhsNumber),
        }),
      ]);
      const after = await h.sql<{ n: string }>('SELECT count(*)::text AS n FROM patient');
      expect(after[0]!.n).toBe(before[0]!.n);
    });

    it('reports multiple matches as multiple-match', async () => {
      const base = {
        family: 'Quartermaine',
        given: ['Tobias'],
        birthDate: '1968-09-23',
        gender: G.GENDER_MALE,
        postcode: 'BS1 4DJ',
      };
      await register(h, person(base));
      await h.client().registerPatient({
        patient: person(base),
        overrideDuplicates: true,
        overrideReason: 'twin brother, verified in clinic',
      });
      const err = await rpcError(register(h, person(base)));
      expect(err.code).toBe(Status.ALREADY_EXISTS);
      expect(err.fieldViolations.map((v) => v.rule)).toEqual([
        'duplicate.multiple-match',
        'duplicate.multiple-match',
      ]);
    });

    it('creates with an explicit override, recording the reason and the overridden candidates', async () => {
      const base = {
        family: 'Featherstonehaugh',
        given: ['Imogen'],
        birthDate: '2001-01-30',
        gender: G.GENDER_FEMALE,
      };
      const first = await register(h, person(base));
      const noReason = await rpcError(
        h.client().registerPatient({
          patient: person(base),
          overrideDuplicates: true,
          overrideReason: ' ',
        }),
      );
      expect(noReason.code).toBe(Status.INVALID_ARGUMENT);
      expect(noReason.fieldViolations).toEqual([
        expect.objectContaining({ field: 'override_reason', rule: 'required' }),
      ]);
      const res = await h.client().registerPatient({
        patient: person(base),
        overrideDuplicates: true,
        overrideReason: 'different person, same name and birthday',
      });
      expect(res.overriddenCandidates.map((c) => c.patient!.nhsNumber)).toEqual([
        first.patient!.nhsNumber,
      ]);
      const [v] = await h.sql<{ reason: string; overridden_candidates: string[] }>(
        'SELECT reason, overridden_candidates FROM patient_version WHERE nhs_number = $1',
        [res.patient!.nhsNumber],
      );
      expect(v).toEqual({
        reason: 'different person, same name and birthday',
        overridden_candidates: [first.patient!.nhsNumber],
      });
      const [p] = await h.sql<{ duplicate_override: boolean }>(
        'SELECT duplicate_override FROM patient WHERE nhs_number = $1',
        [res.patient!.nhsNumber],
      );
      expect(p!.duplicate_override).toBe(true);
      // the override itself is on the access-audit stream (besides the call's own audit record)
      const audits = await h.sql<{ payload: Buffer }>(
        "SELECT payload FROM outbox_events WHERE topic = 'trellis.audit.access.v1' AND key = $1",
        [res.patient!.nhsNumber],
      );
      const descriptions = audits.map(
        (a) => events.v1.AccessRecorded.decode(a.payload).outcomeDescription,
      );
      expect(descriptions).toContainEqual(
        expect.stringContaining(
          `DUPLICATE_OVERRIDE: registered despite ${first.patient!.nhsNumber}`,
        ),
      );
    });

    it('returns every invalid field at once with field paths', async () => {
      const bad = person({ birthDate: '2999-01-01', postcode: 'NOT A POSTCODE', gp: 'ZZ999' });
      bad.names[0]!.family = '';
      bad.gender = G.GENDER_UNSPECIFIED;
      const err = await rpcError(register(h, bad));
      expect(err.code).toBe(Status.INVALID_ARGUMENT);
      expect(err.reason).toBe('VALIDATION_FAILED');
      expect(err.fieldViolations.map((v) => `${v.field}:${v.rule}`).sort()).toEqual(
        [
          'patient.addresses[0].postcode:postcode.format',
          'patient.birth_date:date.future',
          'patient.gender:required',
          'patient.gp_ods_code:ods.unknown',
          'patient.names[0].family:required',
        ].sort(),
      );
    });

    it('50 concurrent registrations of the same person create exactly one', async () => {
      const p = person({
        family: 'Winterbottom',
        given: ['Cecily'],
        birthDate: '1983-12-05',
        gender: G.GENDER_FEMALE,
        postcode: 'NE1 7RU',
        gp: 'A82001',
      });
      const c = h.client();
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, () =>
          c.registerPatient({ patient: p, overrideDuplicates: false, overrideReason: '' }),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(ok).toHaveLength(1);
      expect(refused).toHaveLength(49);
      for (const r of refused)
        expect((r.reason as { code: number }).code).toBe(Status.ALREADY_EXISTS);
      const rows = await h.sql('SELECT 1 FROM patient_name WHERE family_norm = $1', [
        'WINTERBOTTOM',
      ]);
      expect(rows).toHaveLength(1);
    });
  });

  describe('GetPatient', () => {
    it('refuses an invalid NHS number (check digit) with a field detail', async () => {
      const err = await rpcError(h.client().getPatient({ nhsNumber: '9434765918' }));
      expect(err.code).toBe(Status.INVALID_ARGUMENT);
      expect(err.reason).toBe('INVALID_NHS_NUMBER');
      expect(err.fieldViolations).toEqual([
        expect.objectContaining({ field: 'nhs_number', rule: 'nhs-number.check-digit-mismatch' }),
      ]);
    });

    it('answers NOT_FOUND for an unknown valid number', async () => {
      const err = await rpcError(h.client().getPatient({ nhsNumber: '9434765919' }));
      expect(err.code).toBe(Status.NOT_FOUND);
      expect(err.reason).toBe('PATIENT_NOT_FOUND');
    });

    it('refuses callers without system/Patient.r', async () => {
      const err = await rpcError(
        h.client(['system/Patient.c']).getPatient({ nhsNumber: '9434765919' }),
      );
      expect(err.code).toBe(Status.PERMISSION_DENIED);
    });
  });

  describe('restricted patients', () => {
    let nhs: string;
    beforeAll(async () => {
      const res = await register(
        h,
        person({
          family: 'Ashdown',
          given: ['Verity'],
          birthDate: '1990-02-14',
          gender: G.GENDER_FEMALE,
          postcode: 'SW1A 1AA',
          gp: 'E81001',
          confidentiality: C.CONFIDENTIALITY_RESTRICTED,
        }),
      );
      nhs = res.patient!.nhsNumber;
    });

    it('withholds address, telecom and GP without trellis/restricted.read, visibly', async () => {
      const got = await h.client(['system/Patient.rs']).getPatient({ nhsNumber: nhs });
      expect(got.patient).toMatchObject({
        withheld: true,
        addresses: [],
        telecom: [],
        gp: undefined,
      });
      expect(got.patient!.withheldFields).toEqual(['addresses', 'telecom', 'gp', 'gp_history']);
      expect(got.patient!.names[0]!.family).toBe('Ashdown');
      const full = await h
        .client(['system/Patient.rs', 'trellis/restricted.read'])
        .getPatient({ nhsNumber: nhs });
      expect(full.patient).toMatchObject({
        withheld: false,
        gp: { odsCode: 'E81001', region: 'london' },
      });
      expect(full.patient!.addresses[0]!.postcode).toBe('SW1A 1AA');
    });

    it('never appears in postcode-only or GP-only traces, but does in demographic traces', async () => {
      const c = h.client(['system/Patient.rs', 'trellis/restricted.read']);
      const byPostcode = await c.tracePatients(trace({ postcode: 'SW1A 1AA' }));
      expect(byPostcode.hits.map((x) => x.patient!.nhsNumber)).not.toContain(nhs);
      const byGp = await c.tracePatients(trace({ gpOdsCode: 'E81001' }));
      expect(byGp.hits.map((x) => x.patient!.nhsNumber)).not.toContain(nhs);
      const byPerson = await c.tracePatients(trace({ family: 'Ashdown', birthDate: '1990-02-14' }));
      expect(byPerson.hits.map((x) => x.patient!.nhsNumber)).toContain(nhs);
    });
  });

  describe('TracePatients', () => {
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      for (const [key, p] of Object.entries({
        robert: person({
          family: 'Fairweather',
          given: ['Robert'],
          birthDate: '1972-03-11',
          postcode: 'LS6 2AB',
          gp: 'B82001',
        }),
        double: person({
          family: 'Lloyd-Jenkins',
          given: ['Sian'],
          birthDate: '1988-06-01',
          gender: G.GENDER_FEMALE,
          postcode: 'CF10 1EP',
        }),
        twinA: person({
          family: 'Hargreaves',
          given: ['Oliver'],
          birthDate: '2010-05-20',
          postcode: 'YO1 7HH',
        }),
        twinB: person({
          family: 'Hargreaves',
          given: ['Oscar'],
          birthDate: '2010-05-20',
          postcode: 'YO1 7HH',
        }),
      })) {
        ids[key] = (
          await h
            .client()
            .registerPatient({ patient: p, overrideDuplicates: true, overrideReason: 'fixture' })
        ).patient!.nhsNumber;
      }
    });

    it('exact mode matches only exact values, with score 1', async () => {
      const c = h.client();
      const hit = await c.tracePatients(
        trace({
          family: 'FAIRWEATHER',
          given: 'robert',
          birthDate: '1972-03-11',
          mode: MODE.TRACE_MODE_EXACT,
        }),
      );
      expect(hit.hits).toHaveLength(1);
      expect(hit.hits[0]!.score).toBe(1);
      const miss = await c.tracePatients(
        trace({
          family: 'Fairwether',
          given: 'Robert',
          birthDate: '1972-03-11',
          mode: MODE.TRACE_MODE_EXACT,
        }),
      );
      expect(miss.hits).toHaveLength(0);
    });

    it('fuzzy mode finds nicknames, typos and swapped day/month, scored below 1', async () => {
      const r = await h.client().tracePatients(
        trace({
          family: 'Fairwether',
          given: 'Bob',
          birthDate: '1972-11-03',
          gender: G.GENDER_MALE,
        }),
      );
      expect(r.hits[0]!.patient!.nhsNumber).toBe(ids.robert);
      expect(r.hits[0]!.score).toBeGreaterThan(0.8);
      expect(r.hits[0]!.score).toBeLessThan(1);
      expect(r.hits[0]!.matchedOn).toEqual(
        expect.arrayContaining(['given:nickname', 'birth_date:transposed']),
      );
    });

    it('matches one part of a double-barrelled name and a partial postcode', async () => {
      const r = await h
        .client()
        .tracePatients(trace({ family: 'Jenkins', given: 'Sian', postcode: 'CF10' }));
      expect(r.hits.map((x) => x.patient!.nhsNumber)).toContain(ids.double);
      expect(r.hits[0]!.matchedOn).toEqual(
        expect.arrayContaining(['family:part', 'postcode:partial']),
      );
    });

    it('birth date range', async () => {
      const r = await h
        .client()
        .tracePatients(
          trace({ family: 'Fairweather', birthDateFrom: '1972-01-01', birthDateTo: '1972-12-31' }),
        );
      expect(r.hits.map((x) => x.patient!.nhsNumber)).toEqual([ids.robert]);
      const none = await h
        .client()
        .tracePatients(
          trace({ family: 'Fairweather', birthDateFrom: '1973-01-01', birthDateTo: '1973-12-31' }),
        );
      expect(none.hits).toHaveLength(0);
    });

    it('orders by score, caps results and gives scores in 0..1', async () => {
      const r = await h
        .client()
        .tracePatients(trace({ family: 'Hargreaves', birthDate: '2010-05-20', maxResults: 1 }));
      expect(r.hits).toHaveLength(1);
      expect(r.totalAboveThreshold).toBe(2);
      const all = await h
        .client()
        .tracePatients(
          trace({ family: 'Hargreaves', given: 'Oliver', birthDate: '2010-05-20', minScore: 0.5 }),
        );
      expect(all.hits[0]!.patient!.nhsNumber).toBe(ids.twinA);
      for (let i = 1; i < all.hits.length; i++)
        expect(all.hits[i - 1]!.score).toBeGreaterThanOrEqual(all.hits[i]!.score);
      for (const x of all.hits) {
        expect(x.score).toBeGreaterThan(0);
        expect(x.score).toBeLessThanOrEqual(1);
      }
    });

    it('single-match callers (no system/Patient.s) get a hit only when exactly one clears the threshold', async () => {
      const reader = h.client(['system/Patient.r']);
      const one = await reader.tracePatients(
        trace({ family: 'Fairweather', given: 'Robert', birthDate: '1972-03-11' }),
      );
      expect(one).toMatchObject({ singleMatch: true });
      expect(one.hits).toHaveLength(1);
      const twins = await reader.tracePatients(
        trace({ family: 'Hargreaves', birthDate: '2010-05-20' }),
      );
      expect(twins.singleMatch).toBe(true);
      expect(twins.totalAboveThreshold).toBe(2);
      expect(twins.hits).toHaveLength(0);
      const asked = await h
        .client()
        .tracePatients(trace({ family: 'Hargreaves', birthDate: '2010-05-20', singleMatch: true }));
      expect(asked.hits).toHaveLength(0);
    });

    it('refuses a trace without criteria and bad fields with details', async () => {
      const err = await rpcError(
        h.client().tracePatients(trace({ birthDate: '1972-13-01', maxResults: 99 })),
      );
      expect(err.code).toBe(Status.INVALID_ARGUMENT);
      expect(err.fieldViolations.map((v) => `${v.field}:${v.rule}`).sort()).toEqual([
        'birth_date:date.format',
        'max_results:range',
      ]);
      const none = await rpcError(h.client().tracePatients(trace({})));
      expect(none.fieldViolations[0]!.rule).toBe('trace.criteria');
    });
  });

  describe('UpdatePatient and history', () => {
    it('updates fields at the expected version, records history and emits PatientUpdated + GpRegistrationChanged', async () => {
      const c = h.client();
      const reg = await register(
        h,
        person({
          family: 'Marchbanks',
          given: ['Ellis'],
          birthDate: '1955-08-08',
          postcode: 'L1 8JQ',
          gp: 'P82001',
        }),
      );
      const nhs = reg.patient!.nhsNumber;
      const res = await c.updatePatient({
        nhsNumber: nhs,
        expectedVersion: 1,
        changes: {
          names: undefined,
          deceasedAt: undefined,
          addresses: {
            addresses: [
              {
                use: identity.v1.AddressUse.ADDRESS_USE_HOME,
                lines: ['2 New Road'],
                city: 'Bristol',
                district: '',
                postcode: 'BS8 1TH',
                period: { start: '2024-01-01', end: '' },
              },
              {
                use: identity.v1.AddressUse.ADDRESS_USE_OLD,
                lines: ['1 High Street'],
                city: 'Liverpool',
                district: '',
                postcode: 'L1 8JQ',
                period: { start: '', end: '2023-12-31' },
              },
            ],
          },
          telecom: undefined,
          gp: { odsCode: 'L81001', start: '2024-01-02' },
        },
      });
      expect(res.changedFields).toEqual(['addresses', 'gp']);
      expect(res.patient).toMatchObject({
        version: 2,
        gp: { odsCode: 'L81001', region: 'south-west' },
      });
      expect(res.patient!.gpHistory).toEqual([
        expect.objectContaining({ odsCode: 'P82001', region: 'north-west' }),
      ]);
      const events = await h.sql<{ ce_type: string; region: string }>(
        "SELECT ce_type, region FROM outbox_events WHERE key = $1 AND topic = 'trellis.identity.patient.v1' ORDER BY seq",
        [nhs],
      );
      expect(events.map((e) => e.ce_type.split('.')[4])).toEqual([
        'PatientRegistered',
        'PatientUpdated',
        'GpRegistrationChanged',
      ]);
      expect(events[2]!.region).toBe('south-west');
      // moved house: the old postcode still traces (historic address)
      const old = await c.tracePatients(
        trace({ family: 'Marchbanks', given: 'Ellis', postcode: 'L1 8JQ' }),
      );
      expect(old.hits[0]!.matchedOn).toContain('postcode:exact:historic');

      const hist = await c.getPatientHistory({
        nhsNumber: nhs,
        page: { pageSize: 1, pageToken: '' },
      });
      expect(hist.versions.map((v) => [v.version, v.change])).toEqual([[2, 'updated']]);
      const next = await c.getPatientHistory({
        nhsNumber: nhs,
        page: { pageSize: 1, pageToken: hist.page!.nextPageToken },
      });
      expect(next.versions.map((v) => [v.version, v.change])).toEqual([[1, 'registered']]);
      expect(next.page!.nextPageToken).toBe('');
      const v1 = await c.getPatientVersion({ nhsNumber: nhs, version: 1 });
      expect(v1.version!.patient!.addresses[0]!.postcode).toBe('L1 8JQ');
      // every call was audited (BALP access events through the outbox), with the patient
      const audits = await h.sql<{ n: number }>(
        "SELECT count(*)::int AS n FROM outbox_events WHERE topic = 'trellis.audit.access.v1' AND key = $1",
        [nhs],
      );
      expect(audits[0]!.n).toBeGreaterThanOrEqual(5);
      const missing = await rpcError(c.getPatientVersion({ nhsNumber: nhs, version: 9 }));
      expect(missing.code).toBe(Status.NOT_FOUND);
      const badToken = await rpcError(
        c.getPatientHistory({ nhsNumber: nhs, page: { pageSize: 1, pageToken: 'garbage' } }),
      );
      expect(badToken.fieldViolations[0]!.field).toBe('page.page_token');
    });

    it('refuses a stale version with the current version, writing nothing', async () => {
      const c = h.client();
      const reg = await register(
        h,
        person({
          family: 'Trelawney',
          given: ['Sybil'],
          birthDate: '1961-10-31',
          gender: G.GENDER_FEMALE,
        }),
      );
      const nhs = reg.patient!.nhsNumber;
      await c.updatePatient({
        nhsNumber: nhs,
        expectedVersion: 1,
        changes: {
          names: undefined,
          deceasedAt: undefined,
          addresses: undefined,
          telecom: undefined,
          gp: undefined,
          birthDate: '1961-10-30',
        },
      });
      const err = await rpcError(
        c.updatePatient({
          nhsNumber: nhs,
          expectedVersion: 1,
          changes: {
            names: undefined,
            deceasedAt: undefined,
            addresses: undefined,
            telecom: undefined,
            gp: undefined,
            gender: G.GENDER_OTHER,
          },
        }),
      );
      expect(err.code).toBe(Status.ABORTED);
      expect(err.reason).toBe('VERSION_CONFLICT');
      expect(err.fieldViolations).toEqual([
        expect.objectContaining({
          field: 'expected_version',
          rule: 'version.stale',
          message: 'current version is 2',
        }),
      ]);
      const [p] = await h.sql<{ gender: string; version: number }>(
        'SELECT gender::text, version FROM patient WHERE nhs_number = $1',
        [nhs],
      );
      expect(p).toEqual({ gender: 'female', version: 2 });
    });

    it('concurrent updates at the same version: exactly one wins', async () => {
      const c = h.client();
      const reg = await register(
        h,
        person({ family: 'Ravenscroft', given: ['Milo'], birthDate: '1999-07-04' }),
      );
      const nhs = reg.patient!.nhsNumber;
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          c.updatePatient({
            nhsNumber: nhs,
            expectedVersion: 1,
            changes: {
              names: undefined,
              deceasedAt: undefined,
              addresses: undefined,
              telecom: undefined,
              gp: undefined,
              birthDate: `1999-07-${String(5 + i).padStart(2, '0')}`,
            },
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((x) => x.status === 'rejected') as PromiseRejectedResult[]) {
        expect((r.reason as { code: number }).code).toBe(Status.ABORTED);
      }
      const versions = await h.sql('SELECT version FROM patient_version WHERE nhs_number = $1', [
        nhs,
      ]);
      expect(versions).toHaveLength(2);
    });

    it('refuses invalid changes, unknown patients and a missing expected version', async () => {
      const c = h.client();
      const empty = {
        names: undefined,
        addresses: undefined,
        telecom: undefined,
        gp: undefined,
        deceasedAt: undefined,
      };
      const noVersion = await rpcError(
        c.updatePatient({
          nhsNumber: '9434765919',
          expectedVersion: 0,
          changes: { ...empty, birthDate: '2000-01-01' },
        }),
      );
      expect(noVersion.fieldViolations[0]).toMatchObject({
        field: 'expected_version',
        rule: 'required',
      });
      const unknown = await rpcError(
        c.updatePatient({
          nhsNumber: '9434765919',
          expectedVersion: 1,
          changes: { ...empty, birthDate: '2000-01-01' },
        }),
      );
      expect(unknown.code).toBe(Status.NOT_FOUND);
      const bad = await rpcError(
        c.updatePatient({
          nhsNumber: '9434765919',
          expectedVersion: 1,
          changes: { ...empty, birthDate: '2000-02-30', gp: { odsCode: 'NOPE1', start: '' } },
        }),
      );
      expect(bad.code).toBe(Status.INVALID_ARGUMENT);
      expect(bad.fieldViolations.map((v) => v.field).sort()).toEqual([
        'changes.birth_date',
        'changes.gp.ods_code',
      ]);
    });
  });

  describe('MarkDeceased and MergePatients', () => {
    it('marks deceased once, emits PatientDeceased', async () => {
      const c = h.client();
      const reg = await register(
        h,
        person({ family: 'Blackwood', given: ['Edmund'], birthDate: '1931-01-05' }),
      );
      const nhs = reg.patient!.nhsNumber;
      const at = { seconds: Math.floor(Date.parse('2026-11-01T10:30:00Z') / 1000), nanos: 0 };
      const res = await c.markDeceased({ nhsNumber: nhs, expectedVersion: 1, deceasedAt: at });
      expect(res.patient).toMatchObject({ version: 2, deceasedAt: { seconds: at.seconds } });
      const again = await rpcError(
        c.markDeceased({ nhsNumber: nhs, expectedVersion: 2, deceasedAt: at }),
      );
      expect(again.code).toBe(Status.FAILED_PRECONDITION);
      expect(again.reason).toBe('ALREADY_DECEASED');
      const future = await rpcError(
        c.markDeceased({
          nhsNumber: nhs,
          expectedVersion: 2,
          deceasedAt: { seconds: 4102444800, nanos: 0 },
        }),
      );
      expect(future.fieldViolations[0]).toMatchObject({
        field: 'deceased_at',
        rule: 'date.future',
      });
      const events = await h.sql<{ ce_type: string }>(
        'SELECT ce_type FROM outbox_events WHERE key = $1 ORDER BY seq',
        [nhs],
      );
      expect(events.map((e) => e.ce_type)).toContain('uk.nhs.trellis.identity.PatientDeceased.v1');
    });

    it('UpdatePatient with deceased_at records demographics and death in one transaction', async () => {
      const c = h.client();
      const reg = await register(
        h,
        person({ family: 'Ashdown', given: ['Winifred'], birthDate: '1938-02-14' }),
      );
      const nhs = reg.patient!.nhsNumber;
      const none = {
        names: undefined,
        addresses: undefined,
        telecom: undefined,
        gp: undefined,
        deceasedAt: undefined,
      };
      const at = { seconds: Math.floor(Date.parse('2026-11-20T14:05:00Z') / 1000), nanos: 0 };
      const res = await c.updatePatient({
        nhsNumber: nhs,
        expectedVersion: 1,
        changes: { ...none, birthDate: '1938-02-15', deceasedAt: at },
      });
      expect(res.changedFields).toEqual(['birth_date', 'deceased_at']);
      expect(res.patient).toMatchObject({
        version: 2,
        birthDate: '1938-02-15',
        deceasedAt: { seconds: at.seconds },
      });
      const versions = await h.sql<{ version: number; change: string }>(
        'SELECT version, change FROM patient_version WHERE nhs_number = $1 ORDER BY version',
        [nhs],
      );
      expect(versions).toEqual([
        { version: 1, change: 'registered' },
        { version: 2, change: 'deceased' },
      ]);
      const outbox = async (key: string) =>
        (
          await h.sql<{ ce_type: string }>(
            "SELECT ce_type FROM outbox_events WHERE key = $1 AND topic = 'trellis.identity.patient.v1' ORDER BY seq",
            [key],
          )
        ).map((e) => e.ce_type);
      expect(await outbox(nhs)).toEqual([
        'uk.nhs.trellis.identity.PatientRegistered.v1',
        'uk.nhs.trellis.identity.PatientUpdated.v1',
        'uk.nhs.trellis.identity.PatientDeceased.v1',
      ]);
      // the same death again: nothing changes, nothing is emitted
      const same = await c.updatePatient({
        nhsNumber: nhs,
        expectedVersion: 2,
        changes: { ...none, deceasedAt: at },
      });
      expect(same).toMatchObject({ changedFields: [], patient: { version: 2 } });
      // another date: refused, a death is not corrected by an update
      const other = await rpcError(
        c.updatePatient({
          nhsNumber: nhs,
          expectedVersion: 2,
          changes: { ...none, deceasedAt: { seconds: at.seconds - 86400, nanos: 0 } },
        }),
      );
      expect(other.code).toBe(Status.FAILED_PRECONDITION);
      expect(other.reason).toBe('ALREADY_DECEASED');
      expect(other.fieldViolations).toEqual([
        expect.objectContaining({ field: 'changes.deceased_at', rule: 'patient.deceased' }),
      ]);
      // a death in the future, with another change: neither is written
      const living = (
        await register(
          h,
          person({ family: 'Fairbrother', given: ['Cedric'], birthDate: '1950-09-09' }),
        )
      ).patient!.nhsNumber;
      const future = await rpcError(
        c.updatePatient({
          nhsNumber: living,
          expectedVersion: 1,
          changes: {
            ...none,
            gender: G.GENDER_OTHER,
            deceasedAt: { seconds: 4102444800, nanos: 0 },
          },
        }),
      );
      expect(future.code).toBe(Status.INVALID_ARGUMENT);
      expect(future.fieldViolations[0]).toMatchObject({
        field: 'changes.deceased_at',
        rule: 'date.future',
      });
      const [p] = await h.sql<{ version: number; deceased_at: Date | null }>(
        'SELECT version, deceased_at FROM patient WHERE nhs_number = $1',
        [living],
      );
      expect(p).toEqual({ version: 1, deceased_at: null });
      expect(await outbox(nhs)).toHaveLength(3);
      expect(await outbox(living)).toEqual(['uk.nhs.trellis.identity.PatientRegistered.v1']);
    });

    it('merges a duplicate: the old number resolves to the survivor, history moves, event emitted', async () => {
      const c = h.client();
      const survivor = (
        await register(
          h,
          person({
            family: 'Pennywhistle',
            given: ['Agatha'],
            birthDate: '1947-03-03',
            gender: G.GENDER_FEMALE,
          }),
        )
      ).patient!.nhsNumber;
      const dup = (
        await c.registerPatient({
          patient: person({
            family: 'Penywhistle',
            given: ['Aggie'],
            birthDate: '1947-03-03',
            gender: G.GENDER_FEMALE,
          }),
          overrideDuplicates: true,
          overrideReason: 'receptionist unsure',
        })
      ).patient!.nhsNumber;
      const merged = await c.mergePatients({
        supersededNhsNumber: dup,
        survivorNhsNumber: survivor,
        expectedSupersededVersion: 1,
        expectedSurvivorVersion: 1,
        reason: 'same person',
      });
      expect(merged.survivor).toMatchObject({
        nhsNumber: survivor,
        version: 2,
        supersededNhsNumbers: [dup],
      });
      const read = await c.getPatient({ nhsNumber: dup });
      expect(read).toMatchObject({
        superseded: true,
        requestedNhsNumber: dup,
        patient: { nhsNumber: survivor },
      });
      const hist = await c.getPatientHistory({ nhsNumber: survivor, page: undefined });
      expect(hist.versions.map((v) => `${v.nhsNumber}:${v.change}`)).toEqual(
        expect.arrayContaining([
          `${dup}:registered`,
          `${dup}:merged-into`,
          `${survivor}:merged-from`,
          `${survivor}:registered`,
        ]),
      );
      // the merged-away record no longer traces
      const t = await c.tracePatients(
        trace({ family: 'Penywhistle', given: 'Aggie', birthDate: '1947-03-03', minScore: 0.5 }),
      );
      expect(t.hits.map((x) => x.patient!.nhsNumber)).not.toContain(dup);
      const updateOld = await rpcError(
        c.updatePatient({
          nhsNumber: dup,
          expectedVersion: 2,
          changes: {
            names: undefined,
            deceasedAt: undefined,
            addresses: undefined,
            telecom: undefined,
            gp: undefined,
            birthDate: '1947-03-04',
          },
        }),
      );
      expect(updateOld).toMatchObject({
        code: Status.FAILED_PRECONDITION,
        reason: 'PATIENT_SUPERSEDED',
      });
      const [ev] = await h.sql<{ ce_type: string; key: string; ce_subject: string }>(
        "SELECT ce_type, key, ce_subject FROM outbox_events WHERE ce_type LIKE '%PatientMerged%' AND ce_subject = $1",
        [survivor],
      );
      expect(ev).toEqual({
        ce_type: 'uk.nhs.trellis.identity.PatientMerged.v1',
        key: dup,
        ce_subject: survivor,
      });
    });

    it('refuses merging into itself, into a deceased record or a merged record, writing nothing', async () => {
      const c = h.client();
      const a = (
        await register(
          h,
          person({
            family: 'Abernethy',
            given: ['Iona'],
            birthDate: '1966-06-16',
            gender: G.GENDER_FEMALE,
          }),
        )
      ).patient!.nhsNumber;
      const b = (
        await register(
          h,
          person({ family: 'Cholmondeley', given: ['Rupert'], birthDate: '1950-12-12' }),
        )
      ).patient!.nhsNumber;
      const d = (
        await register(
          h,
          person({ family: 'Dunsmore', given: ['Fergus'], birthDate: '1940-04-04' }),
        )
      ).patient!.nhsNumber;
      await c.markDeceased({
        nhsNumber: d,
        expectedVersion: 1,
        deceasedAt: { seconds: Math.floor(Date.now() / 1000) - 86400, nanos: 0 },
      });
      const self = await rpcError(
        c.mergePatients({
          supersededNhsNumber: a,
          survivorNhsNumber: a,
          expectedSupersededVersion: 0,
          expectedSurvivorVersion: 0,
          reason: '',
        }),
      );
      expect(self).toMatchObject({ code: Status.INVALID_ARGUMENT, reason: 'MERGE_INTO_SELF' });
      expect(self.fieldViolations[0]).toMatchObject({
        field: 'survivor_nhs_number',
        rule: 'merge.self',
      });
      const dead = await rpcError(
        c.mergePatients({
          supersededNhsNumber: a,
          survivorNhsNumber: d,
          expectedSupersededVersion: 0,
          expectedSurvivorVersion: 0,
          reason: '',
        }),
      );
      expect(dead).toMatchObject({
        code: Status.FAILED_PRECONDITION,
        reason: 'MERGE_INTO_DECEASED',
      });
      await c.mergePatients({
        supersededNhsNumber: b,
        survivorNhsNumber: a,
        expectedSupersededVersion: 0,
        expectedSurvivorVersion: 0,
        reason: 'dup',
      });
      const intoMerged = await rpcError(
        c.mergePatients({
          supersededNhsNumber: d,
          survivorNhsNumber: b,
          expectedSupersededVersion: 0,
          expectedSurvivorVersion: 0,
          reason: '',
        }),
      );
      expect(intoMerged).toMatchObject({
        code: Status.FAILED_PRECONDITION,
        reason: 'MERGE_INTO_MERGED',
      });
      const again = await rpcError(
        c.mergePatients({
          supersededNhsNumber: b,
          survivorNhsNumber: d,
          expectedSupersededVersion: 0,
          expectedSurvivorVersion: 0,
          reason: '',
        }),
      );
      expect(again.code).toBe(Status.FAILED_PRECONDITION);
      const unknown = await rpcError(
        c.mergePatients({
          supersededNhsNumber: '9434765919',
          survivorNhsNumber: a,
          expectedSupersededVersion: 0,
          expectedSurvivorVersion: 0,
          reason: '',
        }),
      );
      expect(unknown).toMatchObject({ code: Status.NOT_FOUND });
      expect(unknown.fieldViolations[0]!.field).toBe('superseded_nhs_number');
      const [row] = await h.sql<{ version: number; merged_into: string | null }>(
        'SELECT version, merged_into FROM patient WHERE nhs_number = $1',
        [d],
      );
      expect(row).toEqual({ version: 2, merged_into: null });
    });
  });
});
