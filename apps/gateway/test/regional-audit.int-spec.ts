// Issue 18: a regional authority's audit search — FHIR AuditEvent at the gateway over the audit
// store (real gateway, identity and audit processes) with `region/<own region>/audit.read` sees the
// accesses made by its region's organisations only; another region's authority sees its own.
import type { AuditEvent, Bundle, Patient } from '@medplum/fhirtypes';
import { ODS_ORGANISATION_SYSTEM } from '@trellis/fhir';

import { startAuditStack, type AuditStack } from './support/audit-stack';

jest.setTimeout(180_000);

let stack: AuditStack;
const t = {} as Record<'gp' | 'hospital' | 'ne' | 'london', string>;
let nhs: string;

async function fhir<T>(
  path: string,
  token: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.fhirBase}/${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body ? { 'content-type': 'application/fhir+json' } : {}),
    },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const orgs = (b: Bundle<AuditEvent>): string[] =>
  (b.entry ?? []).map(
    (e) =>
      e.resource!.agent.find((a) => a.who?.identifier?.system === ODS_ORGANISATION_SYSTEM)?.who
        ?.identifier?.value ?? '',
  );

/** Polls the log until `ok` holds (condition-based; the deadline only ends a hung test). */
async function logUntil(
  token: string,
  ok: (b: Bundle<AuditEvent>) => boolean,
): Promise<Bundle<AuditEvent>> {
  const end = Date.now() + 90_000;
  for (;;) {
    const r = await fhir<Bundle<AuditEvent>>(`AuditEvent?patient=${nhs}`, token);
    if (r.status === 200 && ok(r.body)) return r.body;
    if (Date.now() > end) throw new Error(`log never matched: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

beforeAll(async () => {
  stack = await startAuditStack();
  ({ token: t.gp } = await stack.system(['system/Patient.cruds'], 'Y12345', 'north-east'));
  ({ token: t.hospital } = await stack.system(['system/Patient.rs'], 'R1K01', 'london'));
  ({ token: t.ne } = await stack.system(
    ['system/AuditEvent.s', 'region/north-east/audit.read'],
    'YRA01',
    'north-east',
  ));
  ({ token: t.london } = await stack.system(
    ['system/AuditEvent.s', 'region/london/audit.read'],
    'YRA06',
    'london',
  ));
  const created = await fhir<Patient>('Patient', t.gp, {
    method: 'POST',
    body: {
      resourceType: 'Patient',
      name: [{ use: 'official', family: 'Regionson', given: ['Ada'] }],
      gender: 'female',
      birthDate: '1980-02-03',
      address: [{ use: 'home', line: ['1 Test Street'], city: 'Durham', postalCode: 'DH1 1AA' }],
    },
  });
  expect(created.status).toBe(201);
  nhs = created.body.id!;
  expect((await fhir(`Patient/${nhs}`, t.gp)).status).toBe(200);
  expect((await fhir(`Patient/${nhs}`, t.hospital)).status).toBe(200);
});

afterAll(async () => {
  await stack?.stop();
});

describe("a region's audit search", () => {
  it("north-east's authority sees the accesses of north-east's organisations only", async () => {
    const log = await logUntil(t.ne, (b) => orgs(b).includes('Y12345'));
    expect(orgs(log)).not.toContain('R1K01');
    // its own searches are audited too (YRA01 is north-east's authority)
    expect(new Set(orgs(log)).size).toBeGreaterThan(0);
    for (const o of orgs(log)) expect(['Y12345', 'YRA01']).toContain(o);
  });

  it("London's authority sees London's hospital, not north-east's practice", async () => {
    const log = await logUntil(t.london, (b) => orgs(b).includes('R1K01'));
    expect(orgs(log)).not.toContain('Y12345');
    for (const o of orgs(log)) expect(['R1K01', 'YRA06']).toContain(o);
  });
});
