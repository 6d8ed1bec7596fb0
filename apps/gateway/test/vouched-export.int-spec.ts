// Proof (issue 22): the gateway's bulk-export worker vouches for its own background calls. Identity
// boots with its Kafka unreachable (a closed port), so its suspension feed never replays and it
// serves only calls the gateway vouches for. A regional authority's Patient export still completes
// — each page's calls carry a vouch bound to that page's token, minted after the gateway checked
// the owner's status — and a job whose owner is suspended fails at the gateway's own check.
import { randomUUID } from 'node:crypto';

import { faker } from '@faker-js/faker/locale/en_GB';
import type { Patient } from '@medplum/fhirtypes';
import { freePort, pollUntil } from '@trellis/testing';

import { startFhirStack, type FhirStack } from './fhir.harness';
import type { GatewayGrpcClient } from './support/grpc-client';
import { adminClient, getToken, onboardingOf, registerClient } from './support/harness';

jest.setTimeout(300_000);

const EXPORT_SCOPES = ['region/north-east/population.read', 'system/Patient.r'];

let stack: FhirStack;
let admin: GatewayGrpcClient | undefined;

beforeAll(async () => {
  const closed = await freePort(); // nothing listens there: every broker connection is refused
  stack = await startFhirStack(
    {},
    {
      platformEnv: { identity: { KAFKA_BROKERS: `127.0.0.1:${closed}` } },
      gatewayEnv: { FHIR_EXPORT_POLL_MS: '200', FHIR_PLATFORM_DEADLINE_MS: '30000' },
    },
  );
});

afterAll(async () => {
  admin?.close();
  await stack?.stop();
});

const authority = async () => {
  const c = await registerClient(stack.gw, {
    scopes: EXPORT_SCOPES,
    odsCode: 'YRA01',
    region: 'north-east',
  });
  return { id: c.id, token: await getToken(stack.gw, c, EXPORT_SCOPES.join(' ')) };
};

async function registerNorthEastPatient(): Promise<string> {
  const { token } = await stack.token(['system/Patient.cruds']);
  const body: Patient = {
    resourceType: 'Patient',
    name: [{ use: 'official', family: faker.person.lastName(), given: [faker.person.firstName()] }],
    gender: 'male',
    birthDate: '1971-03-14',
    address: [{ use: 'home', line: ['2 Grey Street'], city: 'Newcastle', postalCode: 'NE1 6EE' }],
    generalPractitioner: [
      {
        type: 'Organization',
        identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'A81001' },
      },
    ],
  };
  const res = await fetch(`${stack.fhirBase}/Patient`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as Patient).id!;
}

it("a region's Patient export completes although identity's suspension feed is down", async () => {
  const nhs = await registerNorthEastPatient();
  const { token } = await authority();
  const auth = { authorization: `Bearer ${token}` };
  const kick = await fetch(`${stack.fhirBase}/Group/region-north-east/$export?_type=Patient`, {
    headers: { ...auth, accept: 'application/fhir+json', prefer: 'respond-async' },
  });
  expect(kick.status).toBe(202);
  const statusUrl = kick.headers.get('content-location')!;
  const manifest = await pollUntil(
    'export finished',
    async () => {
      const r = await fetch(statusUrl, { headers: auth });
      if (r.status === 202) return undefined;
      const body = (await r.json()) as unknown;
      expect([r.status, body]).toEqual([200, expect.anything()]);
      return body as { output: Array<{ type: string; url: string }> };
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
  const ids: string[] = [];
  for (const f of manifest.output) {
    const r = await fetch(f.url, { headers: auth });
    expect(r.status).toBe(200);
    for (const line of (await r.text()).split('\n').filter((l) => l !== ''))
      ids.push((JSON.parse(line) as Patient).id!);
  }
  expect(ids).toContain(nhs);
});

it("a suspended owner's job fails at the gateway's own status check", async () => {
  const owner = await authority();
  const operatorClient = await registerClient(stack.gw, { scopes: ['trellis/admin'] });
  const operator = await getToken(stack.gw, operatorClient, 'trellis/admin');
  admin = adminClient(stack.gw.grpcAddress);
  await admin.systems.suspendSystem({ id: owner.id, reason: 'export drill' }, admin.as(operator));
  const prisma = onboardingOf(stack.gw).prisma;
  const id = randomUUID();
  await prisma.bulkExportJob.create({
    data: {
      ...{ id, ownerSystemId: owner.id, scopes: EXPORT_SCOPES, ownerOdsCode: 'YRA01' },
      ...{ ownerRegion: 'north-east', region: 'north-east', types: ['Patient'] },
      request: `${stack.fhirBase}/Group/region-north-east/$export`,
      expiresAt: new Date(Date.now() + 3_600_000),
    },
  });
  const failed = await pollUntil(
    'the job failed',
    async () => {
      const job = await prisma.bulkExportJob.findUnique({ where: { id } });
      return job?.status === 'failed' ? job : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  expect(failed.error).toBe(`system ${owner.id} is suspended`);
});
