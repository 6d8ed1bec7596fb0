import { status } from '@grpc/grpc-js';

import { IdentityPatientDirectory, interpret } from './identity-patient-directory';
import { IdentityTestServer } from './testing';

const base = {
  names: [],
  gender: 0,
  birthDate: '1970-01-01',
  addresses: [],
  telecom: [],
  gp: undefined,
  gpHistory: [],
  confidentiality: 0,
  version: 1,
  lastUpdated: undefined,
  withheld: false,
  withheldFields: [],
  supersededNhsNumbers: [],
  mergedIntoNhsNumber: '',
  deceasedAt: undefined,
};

describe('interpret(GetPatientResponse)', () => {
  it('is active for a living, current record', () => {
    expect(
      interpret('9990000018', {
        patient: { ...base, nhsNumber: '9990000018' },
        superseded: false,
        requestedNhsNumber: '9990000018',
      }),
    ).toEqual({ kind: 'active', nhsNumber: '9990000018' });
  });
  it('is deceased when the record has a deceased date', () => {
    const r = interpret('9990000018', {
      patient: {
        ...base,
        nhsNumber: '9990000018',
        deceasedAt: { seconds: 1_700_000_000, nanos: 0 },
      },
      superseded: false,
      requestedNhsNumber: '9990000018',
    });
    expect(r).toEqual({
      kind: 'deceased',
      nhsNumber: '9990000018',
      deceasedAt: new Date(1_700_000_000_000),
    });
  });
  it('carries the current GP practice when identity shows it, and none when withheld', () => {
    const gp = { odsCode: 'A81001', region: 'north-east', period: undefined };
    expect(
      interpret('9990000018', {
        patient: { ...base, nhsNumber: '9990000018', gp },
        superseded: false,
        requestedNhsNumber: '9990000018',
      }),
    ).toEqual({ kind: 'active', nhsNumber: '9990000018', gpOdsCode: 'A81001' });
    expect(
      interpret('9990000018', {
        patient: {
          ...base,
          nhsNumber: '9990000018',
          gp,
          deceasedAt: { seconds: 1_700_000_000, nanos: 0 },
        },
        superseded: false,
        requestedNhsNumber: '9990000018',
      }),
    ).toEqual({
      kind: 'deceased',
      nhsNumber: '9990000018',
      deceasedAt: new Date(1_700_000_000_000),
      gpOdsCode: 'A81001',
    });
    const withheld = interpret('9990000018', {
      patient: { ...base, nhsNumber: '9990000018', withheld: true, withheldFields: ['gp'] },
      superseded: false,
      requestedNhsNumber: '9990000018',
    });
    expect(withheld).toEqual({ kind: 'active', nhsNumber: '9990000018' });
  });
  it('is merged when identity answers with the survivor', () => {
    const r = interpret('9990000018', {
      patient: { ...base, nhsNumber: '9990000026' },
      superseded: true,
      requestedNhsNumber: '9990000018',
    });
    expect(r).toEqual({ kind: 'merged', nhsNumber: '9990000018', survivorNhsNumber: '9990000026' });
  });
  it('is not found without a patient', () => {
    expect(interpret('9990000018', undefined)).toEqual({
      kind: 'not-found',
      nhsNumber: '9990000018',
    });
  });
});

describe('IdentityPatientDirectory over gRPC (against IdentityTestServer)', () => {
  class DeniedError extends Error {
    constructor(
      message: string,
      readonly nhsNumber: string,
    ) {
      super(message);
    }
  }
  class UnavailableError extends DeniedError {}

  const server = new IdentityTestServer();
  let directory: IdentityPatientDirectory;

  beforeAll(async () => {
    const address = await server.start();
    directory = new IdentityPatientDirectory({
      address,
      deadlineMs: 2000,
      errors: {
        lookupDenied: (message, nhsNumber) => new DeniedError(message, nhsNumber),
        unavailable: (message, nhsNumber) => new UnavailableError(message, nhsNumber),
      },
    });
    server.add(
      { nhsNumber: '9990000018' },
      { nhsNumber: '9990000026', mergedInto: '9990000034' },
      { nhsNumber: '9990000034' },
      { nhsNumber: '9990000042', deceasedAt: new Date('2024-01-02T03:04:05Z') },
      { nhsNumber: '9990000077', gpOdsCode: 'A81001' },
      { nhsNumber: '9990000085', gpOdsCode: 'A81001', gpWithheld: true },
    );
  });
  afterEach(() => {
    server.failWith = undefined;
  });
  afterAll(async () => {
    directory.close();
    await server.stop();
  });

  it('passes on the GP practice identity shows, not one it withholds', async () => {
    await expect(directory.standing('9990000077', {})).resolves.toEqual({
      kind: 'active',
      nhsNumber: '9990000077',
      gpOdsCode: 'A81001',
    });
    await expect(directory.standing('9990000085', {})).resolves.toEqual({
      kind: 'active',
      nhsNumber: '9990000085',
    });
  });

  it('answers active / merged / deceased / not-found and forwards the bearer token', async () => {
    const ctx = { authorization: 'Bearer t0k3n', correlationId: 'c-1' };
    await expect(directory.standing('9990000018', ctx)).resolves.toEqual({
      kind: 'active',
      nhsNumber: '9990000018',
    });
    await expect(directory.standing('9990000026', ctx)).resolves.toEqual({
      kind: 'merged',
      nhsNumber: '9990000026',
      survivorNhsNumber: '9990000034',
    });
    await expect(directory.standing('9990000042', ctx)).resolves.toEqual({
      kind: 'deceased',
      nhsNumber: '9990000042',
      deceasedAt: new Date('2024-01-02T03:04:05Z'),
    });
    await expect(directory.standing('9990000050', ctx)).resolves.toEqual({
      kind: 'not-found',
      nhsNumber: '9990000050',
    });
    expect(server.calls.at(-1)).toEqual({
      nhsNumber: '9990000050',
      authorization: 'Bearer t0k3n',
    });
  });

  it.each([status.PERMISSION_DENIED, status.UNAUTHENTICATED])(
    'builds the caller’s lookupDenied error when identity answers %s',
    async (code) => {
      server.failWith = code;
      const err: unknown = await directory.standing('9990000018', {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeniedError);
      expect(err).not.toBeInstanceOf(UnavailableError);
      expect(err).toMatchObject({ nhsNumber: '9990000018' });
      expect((err as Error).message).toContain('refused to confirm patient 9990000018');
    },
  );

  it.each([status.UNAVAILABLE, status.INTERNAL, status.DEADLINE_EXCEEDED])(
    'builds the caller’s unavailable error when identity answers %s',
    async (code) => {
      server.failWith = code;
      const err: unknown = await directory.standing('9990000018', {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err).toMatchObject({ nhsNumber: '9990000018' });
      expect((err as Error).message).toContain(`(${status[code]}); try again`);
    },
  );
});
