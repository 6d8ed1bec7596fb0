import { identity } from '@trellis/contracts';
import { isValidNhsNumber } from '@trellis/nhs-number';
import { IdentityHarness, person, rpcError, startIdentity, Status } from './harness';

describe('identity smoke', () => {
  let h: IdentityHarness;
  beforeAll(async () => {
    h = await startIdentity();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('registers and reads a patient', async () => {
    const c = h.client();
    const res = await c.registerPatient({
      patient: person(),
      overrideDuplicates: false,
      overrideReason: '',
    });
    expect(isValidNhsNumber(res.patient!.nhsNumber)).toBe(true);
    const got = await c.getPatient({ nhsNumber: res.patient!.nhsNumber });
    expect(got.patient!.names[0]!.family).toBe('Smith');
    expect(got.patient!.gp!.region).toBe('yorkshire');
    const err = await rpcError(
      c.registerPatient({ patient: person(), overrideDuplicates: false, overrideReason: '' }),
    );
    expect(err.code).toBe(Status.ALREADY_EXISTS);
    const trace = await c.tracePatients({
      family: 'Smyth',
      given: 'Jon',
      gender: identity.v1.Gender.GENDER_MALE,
      birthDate: '1980-07-03',
      birthDateFrom: '',
      birthDateTo: '',
      postcode: '',
      gpOdsCode: '',
      mode: identity.v1.TraceMode.TRACE_MODE_FUZZY,
      maxResults: 0,
      minScore: 0,
      singleMatch: false,
    });
    expect(trace.hits.length).toBe(1);
  });
});
