import type { AccessAuditor } from '@trellis/auth';
import { loadInfraEnv } from '@trellis/testing';
import { Client as Pg } from 'pg';

import { GATEWAY_AUDITOR } from '../src/app/audit/gateway-events.module';
import { startFhirStack, type FhirStack } from './fhir.harness';

jest.setTimeout(180_000);

/**
 * docs/security.md §6: an allowed patient-data call is answered only once its access record is in
 * the outbox, and fails 503 (OperationOutcome, no resource) when the record cannot be written —
 * also for the FHIR handlers that write their response themselves (`@Res()`), and for the read
 * that skips Express's router (fast-read.ts). The gateway's auditor is the one the harness runs;
 * the test swaps its `record` for a failing or a slow one.
 */
let stack: FhirStack;
let pg: Pg;
let auditor: AccessAuditor;
let record: AccessAuditor['record'];
let writer: string;
let nhs: string;

const FAMILY = 'Trewartha';
const DELAY_MS = 300;
const CORRELATION = 'audit-release-spec';
const ACCESS_RECORDED = 'uk.nhs.trellis.audit.AccessRecorded.v1';

const GIVEN = ['Demelza', 'Morwenna', 'Tamsin', 'Kerensa', 'Lowena', 'Elowen', 'Jenifer', 'Wenna'];
let created = 0;
/** A new patient each time (not a likely duplicate of the earlier ones). */
const patient = () => {
  created++;
  return {
    resourceType: 'Patient',
    name: [{ use: 'official', family: FAMILY, given: [GIVEN[created % GIVEN.length]!] }],
    gender: 'female',
    birthDate: `19${String(60 + created)}-06-${String(10 + created)}`,
  };
};

function create(): Promise<Response> {
  return fetch(`${stack.fhirBase}/Patient`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${writer}`,
      'content-type': 'application/fhir+json',
      'x-correlation-id': CORRELATION,
    },
    body: JSON.stringify(patient()),
  });
}

/** The three calls: a read (fast path and through the router), a search and a create. */
const calls: Array<[string, () => Promise<Response>]> = [
  ['read', () => get(`Patient/${nhs}`)],
  ['read through the router', () => get(`Patient/${nhs}?`)],
  ['search', () => get(`Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${nhs}`)],
  ['create', create],
];

function get(path: string): Promise<Response> {
  return fetch(`${stack.fhirBase}/${path}`, {
    headers: { authorization: `Bearer ${writer}`, 'x-correlation-id': CORRELATION },
  });
}

async function accessRows(): Promise<number> {
  const r = await pg.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${stack.gw.schema.schema}".outbox_events WHERE ce_type = $1`,
    [ACCESS_RECORDED],
  );
  return r.rows[0]!.n;
}

beforeAll(async () => {
  stack = await startFhirStack();
  pg = new Pg({ connectionString: loadInfraEnv().DATABASE_URL });
  await pg.connect();
  auditor = stack.gw.handle.app.get<AccessAuditor>(GATEWAY_AUDITOR, { strict: false });
  record = auditor.record.bind(auditor);
  ({ token: writer } = await stack.token(['system/Patient.cruds']));
  const first = await create();
  expect(first.status).toBe(201);
  nhs = ((await first.json()) as { id: string }).id;
});

afterEach(() => {
  auditor.record = record;
});

afterAll(async () => {
  await pg?.end();
  await stack?.stop();
});

describe('an access record that cannot be written fails the call', () => {
  it.each(calls)('%s: 503 OperationOutcome, no patient data', async (_what, call) => {
    auditor.record = () => Promise.reject(new Error('outbox insert refused (test)'));
    const res = await call();
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
    expect(res.headers.get('x-correlation-id')).toBe(CORRELATION);
    for (const h of ['last-modified', 'location', 'content-location'])
      expect(res.headers.get(h)).toBeNull();
    // Express's own ETag of the OperationOutcome at most, not the resource version's W/"<n>"
    expect(res.headers.get('etag') ?? '').not.toMatch(/^W\/"\d+"$/);
    const body = JSON.parse(text) as {
      resourceType: string;
      issue: { severity: string; code: string; diagnostics?: string }[];
    };
    expect(body.resourceType).toBe('OperationOutcome');
    expect(['transient', 'exception']).toContain(body.issue[0]!.code);
    expect(text).not.toContain(FAMILY);
    expect(text).not.toContain(nhs);
    expect(text).not.toContain('outbox insert refused');
  });

  it('answers as before once the audit can be written again', async () => {
    const res = await get(`Patient/${nhs}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toMatch(/^W\/"\d+"$/);
    expect(((await res.json()) as { id: string }).id).toBe(nhs);
  });
});

describe('the answer is released only once its access record is in the outbox', () => {
  it.each(calls)('%s', async (_what, call) => {
    auditor.record = async (rec, tx) => {
      await new Promise((r) => setTimeout(r, DELAY_MS));
      return record(rec, tx);
    };
    const before = await accessRows();
    const t0 = Date.now();
    const res = await call();
    const tookMs = Date.now() - t0;
    // at the moment the answer arrives, its record is already in the outbox
    expect(await accessRows()).toBe(before + 1);
    expect(tookMs).toBeGreaterThanOrEqual(DELAY_MS);
    expect(res.status).toBeLessThan(300);
    expect(await res.text()).toContain(FAMILY);
  });
});
