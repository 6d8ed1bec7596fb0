import { identity } from '@trellis/contracts';
import { ALL_SCOPES, IdentityHarness, person, rpcError, startIdentity, Status } from './harness';

/**
 * Domain rules that hold whichever door a call came through (issue 14): restricted records and
 * merge authority, exercised directly on identity's gRPC port as a connected system could.
 */
const C = identity.v1.Confidentiality;
const G = identity.v1.Gender;

const GP_NO_RESTRICTED = ['system/Patient.crus'];
const RESTRICTED_READER = ['system/Patient.crus', 'trellis/restricted.read'];

const noChanges = (): identity.v1.PatientChanges => ({
  names: undefined,
  addresses: undefined,
  telecom: undefined,
  gp: undefined,
  deceasedAt: undefined,
});

const trace = (over: Partial<identity.v1.TracePatientsRequest>) => ({
  family: '',
  given: '',
  gender: G.GENDER_UNSPECIFIED,
  birthDate: '',
  birthDateFrom: '',
  birthDateTo: '',
  postcode: '',
  gpOdsCode: '',
  mode: identity.v1.TraceMode.TRACE_MODE_FUZZY,
  maxResults: 0,
  minScore: 0,
  singleMatch: false,
  ...over,
});

describe('identity domain rules on the gRPC door', () => {
  let h: IdentityHarness;
  beforeAll(async () => {
    h = await startIdentity();
  });
  afterAll(async () => {
    await h?.close();
  });

  const register = async (
    over: Parameters<typeof person>[0],
    scopes: readonly string[] = ALL_SCOPES,
  ): Promise<string> =>
    (
      await h.client(scopes).registerPatient({
        patient: person(over),
        overrideDuplicates: true,
        overrideReason: 'test fixture',
      })
    ).patient!.nhsNumber;

  describe('restricted records', () => {
    it('refuses a GP system without trellis/restricted.read lifting the restriction, and the address stays withheld', async () => {
      const nhs = await register({
        family: 'Penhallow',
        given: ['Morwenna'],
        birthDate: '1987-04-09',
        gender: G.GENDER_FEMALE,
        postcode: 'TR1 2HE',
        gp: 'L83001',
        confidentiality: C.CONFIDENTIALITY_RESTRICTED,
      });
      const gp = h.client(GP_NO_RESTRICTED);
      const err = await rpcError(
        gp.updatePatient({
          nhsNumber: nhs,
          expectedVersion: 1,
          changes: { ...noChanges(), confidentiality: C.CONFIDENTIALITY_NORMAL },
        }),
      );
      expect(err.code).toBe(Status.PERMISSION_DENIED);
      expect(err.reason).toBe('RESTRICTED_SCOPE_REQUIRED');
      expect(err.fieldViolations).toEqual([
        expect.objectContaining({
          field: 'changes.confidentiality',
          rule: 'restricted.confidentiality',
        }),
      ]);
      const after = await gp.getPatient({ nhsNumber: nhs });
      expect(after.patient).toMatchObject({
        version: 1,
        confidentiality: C.CONFIDENTIALITY_RESTRICTED,
        withheld: true,
        addresses: [],
        telecom: [],
      });
      // with the scope the restriction can be lifted
      const lifted = await h.client(RESTRICTED_READER).updatePatient({
        nhsNumber: nhs,
        expectedVersion: 1,
        changes: { ...noChanges(), confidentiality: C.CONFIDENTIALITY_NORMAL },
      });
      expect(lifted.changedFields).toEqual(['confidentiality']);
    });

    it('lets any updater restrict a normal record, but not touch the withheld fields while doing so', async () => {
      const nhs = await register({
        family: 'Trevithick',
        given: ['Jago'],
        birthDate: '1979-12-01',
      });
      const gp = h.client(GP_NO_RESTRICTED);
      const err = await rpcError(
        gp.updatePatient({
          nhsNumber: nhs,
          expectedVersion: 1,
          changes: {
            ...noChanges(),
            confidentiality: C.CONFIDENTIALITY_RESTRICTED,
            telecom: { telecom: [] },
          },
        }),
      );
      expect(err.code).toBe(Status.PERMISSION_DENIED);
      expect(err.fieldViolations.map((v) => v.field)).toEqual(['changes.telecom']);
      const restricted = await gp.updatePatient({
        nhsNumber: nhs,
        expectedVersion: 1,
        changes: { ...noChanges(), confidentiality: C.CONFIDENTIALITY_RESTRICTED },
      });
      expect(restricted.patient).toMatchObject({ withheld: true, addresses: [], telecom: [] });
    });

    it('withholds the earlier versions of a record restricted since (history and vread)', async () => {
      const nhs = await register({
        family: 'Kernow',
        given: ['Demelza'],
        birthDate: '1992-08-30',
        gender: G.GENDER_FEMALE,
        postcode: 'PL1 2AA',
      });
      await h.client(RESTRICTED_READER).updatePatient({
        nhsNumber: nhs,
        expectedVersion: 1,
        changes: { ...noChanges(), confidentiality: C.CONFIDENTIALITY_RESTRICTED },
      });
      const gp = h.client(GP_NO_RESTRICTED);
      const v1 = await gp.getPatientVersion({ nhsNumber: nhs, version: 1 });
      expect(v1.version!.patient).toMatchObject({
        confidentiality: C.CONFIDENTIALITY_NORMAL,
        withheld: true,
        addresses: [],
        telecom: [],
        gp: undefined,
      });
      const history = await gp.getPatientHistory({ nhsNumber: nhs, page: undefined });
      expect(history.versions.map((v) => v.patient!.addresses)).toEqual([[], []]);
      const reader = await h
        .client(RESTRICTED_READER)
        .getPatientVersion({ nhsNumber: nhs, version: 1 });
      expect(reader.version!.patient!.addresses[0]!.postcode).toBe('PL1 2AA');
    });

    it('does not confirm a restricted patient’s postcode or practice through trace scores or reasons', async () => {
      const nhs = await register({
        family: 'Polglaze',
        given: ['Tamsin'],
        birthDate: '1966-01-17',
        gender: G.GENDER_FEMALE,
        postcode: 'TR18 4AA',
        gp: 'L82001',
        confidentiality: C.CONFIDENTIALITY_RESTRICTED,
      });
      const who = {
        family: 'Polglaze',
        given: 'Tamsin',
        birthDate: '1966-01-17',
        gender: G.GENDER_FEMALE,
      };
      const gp = h.client(['system/Patient.rs']);
      const right = await gp.tracePatients(
        trace({ ...who, postcode: 'TR18 4AA', gpOdsCode: 'L82001' }),
      );
      const wrong = await gp.tracePatients(
        trace({ ...who, postcode: 'EC1A 1BB', gpOdsCode: 'E81001' }),
      );
      const hitOf = (r: identity.v1.TracePatientsResponse) =>
        r.hits.find((x) => x.patient!.nhsNumber === nhs)!;
      expect(hitOf(right).matchedOn.filter((m) => /postcode|gp/.test(m))).toEqual([]);
      expect(hitOf(right).score).toBe(hitOf(wrong).score);
      // a reader of restricted records gets the full match
      const full = await h
        .client(['system/Patient.rs', 'trellis/restricted.read'])
        .tracePatients(trace({ ...who, postcode: 'TR18 4AA', gpOdsCode: 'L82001' }));
      expect(hitOf(full).matchedOn).toEqual(expect.arrayContaining(['postcode:exact', 'gp:exact']));
      expect(hitOf(full).score).toBeGreaterThan(hitOf(right).score);
    });

    it('does not confirm a restricted patient’s postcode through a refused duplicate registration', async () => {
      const who = {
        family: 'Angove',
        given: ['Kerensa'],
        birthDate: '1958-03-03',
        gender: G.GENDER_FEMALE,
        gp: 'L81001',
      };
      const nhs = await register({
        ...who,
        postcode: 'TR26 1AA',
        confidentiality: C.CONFIDENTIALITY_RESTRICTED,
      });
      const attempt = async (postcode: string) => {
        const err = await rpcError(
          h.client(GP_NO_RESTRICTED).registerPatient({
            patient: person({ ...who, postcode }),
            overrideDuplicates: false,
            overrideReason: '',
          }),
        );
        expect(err.code).toBe(Status.ALREADY_EXISTS);
        return err.fieldViolations.find((v) => v.message.includes(nhs))!.message;
      };
      const right = await attempt('TR26 1AA');
      expect(right).not.toMatch(/postcode|gp:/);
      expect(right).toBe(await attempt('EC1A 1BB'));
    });
  });

  describe('merge authority', () => {
    it('refuses MergePatients to a system holding only system/Patient.* scopes', async () => {
      const a = await register({ family: 'Roskilly', given: ['Ennor'], birthDate: '1955-02-02' });
      const b = await register({ family: 'Roskilly', given: ['Ennor'], birthDate: '1955-02-02' });
      const err = await rpcError(
        h.client(['system/Patient.cruds', 'trellis/restricted.read']).mergePatients({
          supersededNhsNumber: a,
          survivorNhsNumber: b,
          expectedSupersededVersion: 0,
          expectedSurvivorVersion: 0,
          reason: 'duplicate',
        }),
      );
      expect(err.code).toBe(Status.PERMISSION_DENIED);
      expect(err.message).toContain('trellis/identity.admin');
      const still = await h.client().getPatient({ nhsNumber: a });
      expect(still.superseded).toBe(false);
    });

    it('lets an identity administrator merge; a restricted record makes the survivor restricted', async () => {
      const restricted = await register({
        family: 'Chenoweth',
        given: ['Loveday'],
        birthDate: '1971-07-07',
        gender: G.GENDER_FEMALE,
        confidentiality: C.CONFIDENTIALITY_RESTRICTED,
      });
      const normal = await register({
        family: 'Chenoweth',
        given: ['Loveday'],
        birthDate: '1971-07-07',
        gender: G.GENDER_FEMALE,
      });
      const merged = await h.client(['trellis/identity.admin']).mergePatients({
        supersededNhsNumber: restricted,
        survivorNhsNumber: normal,
        expectedSupersededVersion: 0,
        expectedSurvivorVersion: 0,
        reason: 'duplicate registration',
      });
      expect(merged.survivor).toMatchObject({
        nhsNumber: normal,
        confidentiality: C.CONFIDENTIALITY_RESTRICTED,
        withheld: true,
      });
      const viaOld = await h.client(['system/Patient.r']).getPatient({ nhsNumber: restricted });
      expect(viaOld.patient).toMatchObject({ nhsNumber: normal, withheld: true, addresses: [] });
      const [version] = await h.sql<{ changed_fields: string[] }>(
        "SELECT changed_fields FROM patient_version WHERE nhs_number = $1 AND change = 'merged-from'",
        [normal],
      );
      expect(version!.changed_fields).toEqual(['superseded_nhs_numbers', 'confidentiality']);
    });
  });
});
