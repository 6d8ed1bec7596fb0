// A region's RTT waiting lists as FHIR MeasureReports (issue 18) through the gateway and the real
// referrals platform: the figures equal the referrals this test sent (by provider and specialty),
// readable by the region's authority and the national operator only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { faker } from '@faker-js/faker/locale/en_GB';
import type { Bundle, MeasureReport, Patient, ServiceRequest } from '@medplum/fhirtypes';
import { Client } from 'fhir-kit-client';

import { startFhirStack, type FhirStack } from './fhir.harness';
import { asBody, expectValid } from './support/fhir-assertions';
import { getToken, registerClient } from './support/harness';

jest.setTimeout(180_000);

const REQUEST_ID = 'https://fhir.trellis.nhs.uk/Id/referral-request';
const fixture = JSON.parse(
  readFileSync(join(__dirname, 'fixtures/ok/service-request.json'), 'utf8'),
) as ServiceRequest;

let stack: FhirStack;
let gp: Client;
const tokens: Record<string, string> = {};
// the test's own count per "ods|specialty"
const sent = new Map<string, number>();

async function authority(odsCode: string, region: string, scopes: string[]): Promise<string> {
  const c = await registerClient(stack.gw, { scopes, odsCode, region });
  return getToken(stack.gw, c, scopes.join(' '));
}

async function refer(ods: string, specialty: string): Promise<void> {
  const p = (await gp.create({
    resourceType: 'Patient',
    body: asBody({
      resourceType: 'Patient',
      name: [{ family: faker.person.lastName(), given: [faker.person.firstName()] }],
      gender: 'male',
      birthDate: '1961-04-02',
    }),
  })) as unknown as Patient;
  const body = JSON.parse(JSON.stringify(fixture)) as ServiceRequest;
  body.subject = { reference: `Patient/${p.id}` };
  body.identifier = [{ system: REQUEST_ID, value: `rwl-${faker.string.alphanumeric(12)}` }];
  body.category = [
    { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/Specialty-1', code: specialty }] },
  ];
  body.performer = [
    {
      type: 'Organization',
      identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: ods },
      extension: [
        {
          url: 'https://fhir.trellis.nhs.uk/StructureDefinition/region',
          valueCode: ods === 'RR8' ? 'yorkshire' : 'north-east',
        },
      ],
    },
  ];
  await gp.create({ resourceType: 'ServiceRequest', body: asBody(body) });
  sent.set(`${ods}|${specialty}`, (sent.get(`${ods}|${specialty}`) ?? 0) + 1);
}

async function get(token: string, region: string): Promise<{ status: number; body: Bundle }> {
  const res = await fetch(
    `${stack.fhirBase}/MeasureReport/$regional-waiting-lists?region=${region}`,
    {
      headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
    },
  );
  const body = (await res.json()) as Bundle;
  expectValid(body);
  return { status: res.status, body };
}

beforeAll(async () => {
  stack = await startFhirStack({}, { referrals: true });
  const { token } = await stack.token(
    ['system/Patient.cruds', 'system/ServiceRequest.crus'],
    'A81001',
  );
  gp = new Client({ baseUrl: stack.fhirBase, bearerToken: token });
  tokens['ne'] = await authority('YRA01', 'north-east', ['region/north-east/waiting-lists.read']);
  tokens['london'] = await authority('YRA06', 'london', ['region/london/waiting-lists.read']);
  tokens['national'] = await authority('X26', 'london', ['trellis/admin']);
  tokens['provider'] = (
    await stack.token(['system/ServiceRequest.rs', 'system/MeasureReport.rs'], 'RTD')
  ).token;
  for (const [ods, specialty] of [
    ['RTD', 'cardiology'],
    ['RTD', 'cardiology'],
    ['RTD', 'dermatology'],
    ['RXA', 'orthopaedics'],
  ] as const)
    await refer(ods, specialty);
  await refer('RR8', 'cardiology'); // yorkshire: not on north-east's lists
});

afterAll(async () => {
  await stack?.stop();
});

const waiting = (r: MeasureReport) => r.group?.[0]?.population?.[0]?.count;
const bySpecialty = (r: MeasureReport) =>
  (r.group?.[0]?.stratifier?.[1]?.stratum ?? []).map((s) => [
    s.value?.text,
    s.population?.[0]?.count,
  ]);

it("the region's authority reads one valid MeasureReport per provider, figures as sent", async () => {
  const { status, body } = await get(tokens['ne']!, 'north-east');
  expect(status).toBe(200);
  const reports = (body.entry ?? []).map((e) => e.resource as MeasureReport);
  for (const r of reports) expectValid(r);
  const [total, ...providers] = reports;
  const all = [...sent].filter(([k]) => !k.startsWith('RR8|'));
  expect(waiting(total!)).toBe(all.reduce((n, [, c]) => n + c, 0));
  expect(providers.map((p) => [p.reporter?.identifier?.value, waiting(p), bySpecialty(p)])).toEqual(
    ['RTD', 'RXA'].map((ods) => {
      const mine = all.filter(([k]) => k.startsWith(`${ods}|`)).sort();
      return [ods, mine.reduce((n, [, c]) => n + c, 0), mine.map(([k, c]) => [k.split('|')[1], c])];
    }),
  );
  // nothing waits 18 weeks yet: the breach groups count 0 of the pathways
  expect(total!.group?.[1]?.population?.map((p) => p.count)).toEqual([waiting(total!), 0]);
});

it('the national operator reads it; another region, a provider and a GP are refused', async () => {
  expect((await get(tokens['national']!, 'north-east')).status).toBe(200);
  expect((await get(tokens['london']!, 'north-east')).status).toBe(403);
  expect((await get(tokens['provider']!, 'north-east')).status).toBe(403);
  const gpToken = (await stack.token(['system/ServiceRequest.rs'], 'A81001')).token;
  expect((await get(gpToken, 'north-east')).status).toBe(403);
  const empty = await get(tokens['london']!, 'london');
  expect(empty.status).toBe(200);
  expect(waiting(empty.body.entry?.[0]?.resource as MeasureReport)).toBe(0);
});
