// Proof (issue 22), end to end: identity boots with its Kafka unreachable (a closed port), so its
// suspension feed never replays. Through the gateway — FHIR REST and the gRPC front door — its
// calls are served anyway, because the gateway vouches for each one; the same call made straight
// to identity, with a valid service token but no vouch, is refused UNAVAILABLE.
import { faker } from '@faker-js/faker/locale/en_GB';
import type { Patient } from '@medplum/fhirtypes';
import { status } from '@grpc/grpc-js';
import { SUSPENSION_UNKNOWN } from '@trellis/auth';
import { testServiceIdentity } from '@trellis/auth/testing';
import { freePort } from '@trellis/testing';

import { startFhirStack, type FhirStack } from './fhir.harness';
import { RawGrpc } from './support/two-doors';

jest.setTimeout(300_000);

const GET_PATIENT = '/trellis.identity.v1.PatientService/GetPatient';

let stack: FhirStack;
let token: string;

beforeAll(async () => {
  const closed = await freePort(); // nothing listens there: every broker connection is refused
  stack = await startFhirStack(
    {},
    { platformEnv: { identity: { KAFKA_BROKERS: `127.0.0.1:${closed}` } } },
  );
  ({ token } = await stack.token(['system/Patient.cruds']));
});

afterAll(async () => {
  await stack?.stop();
});

describe('a platform whose suspension feed cannot replay serves what the gateway vouches for', () => {
  let nhs = '';

  it('registers and reads a patient over FHIR REST', async () => {
    const body: Patient = {
      resourceType: 'Patient',
      name: [
        { use: 'official', family: faker.person.lastName(), given: [faker.person.firstName()] },
      ],
      gender: 'female',
      birthDate: '1984-06-02',
      address: [{ use: 'home', line: ['1 High Street'], city: 'Leeds', postalCode: 'LS1 4AP' }],
    };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' };
    const created = await fetch(`${stack.fhirBase}/Patient`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(201);
    nhs = ((await created.json()) as Patient).id!;
    const read = await fetch(`${stack.fhirBase}/Patient/${nhs}`, { headers });
    expect(read.status).toBe(200);
    expect(((await read.json()) as Patient).id).toBe(nhs);
  });

  it('serves the gRPC front door; refuses the same call made straight to identity without a vouch', async () => {
    const door = new RawGrpc(stack.frontDoor);
    const direct = new RawGrpc(stack.identity.grpcUrl);
    try {
      const request = { nhsNumber: nhs };
      const viaDoor = await door.call(GET_PATIENT, { token, request });
      expect([viaDoor.code, viaDoor.details]).toEqual([status.OK, '']);
      const straight = await direct.call(GET_PATIENT, {
        token,
        request,
        metadata: { 'x-trellis-service-token': testServiceIdentity().token() },
      });
      expect([straight.code, straight.details]).toEqual([status.UNAVAILABLE, SUSPENSION_UNKNOWN]);
    } finally {
      door.close();
      direct.close();
    }
  });
});
