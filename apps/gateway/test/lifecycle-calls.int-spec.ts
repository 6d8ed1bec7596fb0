// Issue 18's call rule on both doors: a system in the sandbox (or certified, not yet live) reaches
// the platforms only within its conformance session; outside one its calls are refused 403 /
// PERMISSION_DENIED naming the rule, audited and counted like any refusal; once live it needs none.
// A local system whose product role has no conformance scheme (role other) makes no platform call
// before the national operator moves it live; the regional authorities' own systems are not bound.
import { fakerEN_GB as faker } from '@faker-js/faker';
import { Metadata, status, type MetadataValue } from '@grpc/grpc-js';
import type { OperationOutcome, Parameters, Patient } from '@medplum/fhirtypes';
import { loadInfraEnv } from '@trellis/testing';
import { decodeGrpcError } from '@trellis/service-kit';
import { rulesOf } from '@trellis/fhir';
import { Client as Pg } from 'pg';

import { events } from '@trellis/contracts';

import { CALL_RULES } from '../src/app/certification/call-gate';
import { GATEWAY_CONFIG, type GatewayConfig } from '../src/app/config/gateway.config';
import { ProductsService } from '../src/app/products/products.service';
import { NO_SCHEME_RULES } from '../src/app/regions/lifecycle';
import { REGIONAL_ACTED_TYPE, regionStream } from '../src/app/regions/regional-acted';
import { SystemsService } from '../src/app/systems/systems.service';
import { ensureCertificate } from '../src/demo-lifecycle';
import { startFhirStack, type FhirStack } from './support/fhir-stack';
import {
  assertion,
  BOOTSTRAP_CALLER,
  getToken,
  onboardingOf,
  registerClient,
  requestToken,
  type TestClient,
} from './support/harness';
import { regionalGrpc, type RegionalGrpc } from './support/regional-client';
import { eventually, OutboxReader, RawGrpc, type GrpcOutcome } from './support/two-doors';

jest.setTimeout(240_000);

const GET_PATIENT = '/trellis.identity.v1.PatientService/GetPatient';
const SCOPES = 'system/Patient.cruds system/TestReport.crs';
const PV = 'lifecycle-gp@1.0';
const SANDBOX_NHS = '9990000018';

let stack: FhirStack;
let door: RawGrpc;
let pg: Pg;
let outbox: OutboxReader;
let system: TestClient;
let operatorToken: string;
let operatorId: string;

async function fhir(
  path: string,
  token: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.fhirBase}/${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const patient = (): Patient => ({
  resourceType: 'Patient',
  name: [{ use: 'official', family: faker.person.lastName(), given: [faker.person.firstName()] }],
  gender: 'female',
  birthDate: faker.date.birthdate({ min: 20, max: 80, mode: 'age' }).toISOString().slice(0, 10),
});

async function token(): Promise<string> {
  return getToken(stack.gw, system, SCOPES);
}

/** Both doors, outside a session: the REST read and the gRPC read of the same patient. */
async function bothDoors(t: string): Promise<{ rest: number; grpc: number }> {
  const rest = await fhir(`Patient/${SANDBOX_NHS}`, t);
  const grpc = await door.call(GET_PATIENT, { token: t, request: { nhsNumber: SANDBOX_NHS } });
  return { rest: rest.status, grpc: grpc.code };
}

beforeAll(async () => {
  stack = await startFhirStack();
  door = new RawGrpc(stack.frontDoor);
  pg = new Pg({ connectionString: loadInfraEnv().DATABASE_URL });
  await pg.connect();
  outbox = new OutboxReader(pg);
  const products = stack.gw.handle.app.get(ProductsService);
  await products.registerProduct(
    { id: 'lifecycle-gp', supplier: 'Lifecycle GP Ltd', name: 'Lifecycle GP', role: 'gp_system' },
    BOOTSTRAP_CALLER,
  );
  await products.registerVersion('lifecycle-gp', '1.0', BOOTSTRAP_CALLER);
  system = await registerClient(stack.gw, {
    scopes: SCOPES.split(' '),
    odsCode: 'A81001',
    region: 'north-east',
    productVersionId: PV,
  });
  const operator = await registerClient(stack.gw, { scopes: ['trellis/admin'], odsCode: 'X26' });
  operatorToken = await getToken(stack.gw, operator, 'trellis/admin');
  operatorId = operator.id;
});
afterAll(async () => {
  door?.close();
  await pg?.end();
  await stack?.stop();
});

describe('a sandbox system outside a conformance session', () => {
  it('is refused on the FHIR door: 403 OperationOutcome naming the lifecycle rule', async () => {
    const t = await token(); // the sandbox keeps its role scopes at the token endpoint
    for (const [path, method, body] of [
      [`Patient/${SANDBOX_NHS}`, 'GET', undefined],
      ['Patient', 'POST', patient()],
    ] as const) {
      const res = await fhir(path, t, { method, ...(body ? { body } : {}) });
      expect(res.status).toBe(403);
      const outcome = res.body as unknown as OperationOutcome;
      expect(rulesOf(outcome)).toEqual([CALL_RULES.sessionOnly]);
      expect(outcome.issue?.[0]?.code).toBe('forbidden');
      expect(outcome.issue?.[0]?.diagnostics).toContain(
        `system ${system.id} is sandbox, not live: it may call the platforms only within a conformance session`,
      );
    }
  });

  it('is refused on the gRPC front door: PERMISSION_DENIED with ErrorInfo and the rule', async () => {
    const res = await door.call(GET_PATIENT, {
      token: await token(),
      request: { nhsNumber: SANDBOX_NHS },
    });
    expect(res.code).toBe(status.PERMISSION_DENIED);
    const decoded = decodeGrpcError({
      code: res.code,
      details: res.details,
      metadata: metadataOf(res.trailers),
    });
    expect(decoded.reason).toBe('NOT_ADMITTED');
    expect(decoded.domain).toBe('trellis.gateway');
    expect(decoded.fieldViolations).toEqual([
      {
        field: 'lifecycle',
        rule: CALL_RULES.sessionOnly,
        message: expect.stringContaining('only within a conformance session'),
      },
    ]);
  });

  it('every refusal is audited once by the gateway, attributed to the system and its version (what the scorecards count)', async () => {
    const refused = await eventually(async () => {
      const a = (await outbox.accesses(stack.gw.schema.schema, system.id)).filter(
        (r) => r.outcomeDescription === 'PERMISSION_DENIED: NOT_ADMITTED',
      );
      return a.length >= 3 ? a : false;
    }, 20_000);
    expect(refused.map((r) => r.interaction).sort()).toEqual(
      [GET_PATIENT, 'GET /fhir/Patient/:id', 'POST /fhir/Patient'].sort(),
    );
    for (const r of refused)
      expect(r).toMatchObject({
        sourceService: 'gateway',
        outcome: '4',
        productVersionId: PV,
        odsCode: 'A81001',
      });
  });
});

describe('the same system', () => {
  it('within its session reaches the platforms on both doors (999 data only), and is refused again once it is closed', async () => {
    const t = await token();
    const start = await fhir('TestScript/$start-session', t, {
      method: 'POST',
      body: {
        resourceType: 'Parameters',
        parameter: [{ name: 'role', valueCode: 'gp-system' }],
      } satisfies Parameters,
    });
    expect(start.status).toBe(201);
    const session = (start.body as unknown as Parameters).parameter!.find(
      (p) => p.name === 'session',
    )!.valueId!;
    const created = await fhir('Patient', t, { method: 'POST', body: patient() });
    expect(created.status).toBe(201);
    const nhs = String(created.body['id']);
    expect(nhs).toMatch(/^999\d{7}$/);
    expect((await fhir(`Patient/${nhs}`, t)).status).toBe(200);
    expect((await door.call(GET_PATIENT, { token: t, request: { nhsNumber: nhs } })).code).toBe(
      status.OK,
    );
    // the sandbox's own rule still holds in the session: real NHS numbers are refused, both doors
    const real = await fhir('Patient/9434765919', t);
    expect(real.status).toBe(422);
    expect(rulesOf(real.body as unknown as OperationOutcome)).toEqual(['conformance.sandbox-data']);
    const realGrpc = await door.call(GET_PATIENT, {
      token: t,
      request: { nhsNumber: '9434765919' },
    });
    expect(realGrpc.code).toBe(status.PERMISSION_DENIED);
    const decoded = decodeGrpcError({ ...realGrpc, metadata: metadataOf(realGrpc.trailers) });
    expect(decoded.fieldViolations.map((v) => v.rule)).toEqual([CALL_RULES.sandboxData]);

    const finished = await fhir('TestScript/$finish-session', t, {
      method: 'POST',
      body: { resourceType: 'Parameters', parameter: [{ name: 'session', valueId: session }] },
    });
    expect(finished.status).toBe(200);
    expect(await bothDoors(t)).toEqual({ rest: 403, grpc: status.PERMISSION_DENIED });
  });

  it('after the go-live approval reaches the platforms outside any session, on both doors', async () => {
    // its product version holds a valid gp-system certificate (as a passed session leaves one)
    await ensureCertificate(onboardingOf(stack.gw), PV);
    for (const to of ['certified', 'live']) {
      const res = await fetch(
        `${stack.gw.baseUrl}/admin/v1/regions/north-east/systems/${system.id}/lifecycle`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to, reason: `conformance passed: ${to}` }),
        },
      );
      expect(res.status).toBe(200);
    }
    const t = await token(); // live: the certificate gate grants the role's scopes
    const answers = await eventually(async () => {
      const a = await bothDoors(t);
      return a.rest !== 403 && a.grpc !== status.PERMISSION_DENIED ? a : false;
    }, 20_000);
    // the patient does not exist: the platform answered (not the lifecycle rule)
    expect(answers).toEqual({ rest: 404, grpc: status.NOT_FOUND });
    const created = await fhir('Patient', t, { method: 'POST', body: patient() });
    expect(created.status).toBe(201);
  });
});

describe('a local system whose product role has no conformance scheme (unclassified@legacy)', () => {
  const OTHER_SCOPES = 'system/Patient.cruds system/TestReport.crs system/MeasureReport.rs';
  const NE = 'north-east';
  let other: TestClient;
  let authority: { id: string; token: string };
  let regional: RegionalGrpc;

  const move = async (token: string, to: string, reason: string) => {
    const res = await fetch(
      `${stack.gw.baseUrl}/admin/v1/regions/${NE}/systems/${other.id}/lifecycle`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to, reason }),
      },
    );
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const lifecycleOf = async (id: string) =>
    (await stack.gw.handle.app.get(SystemsService).get(id)).lifecycle;

  beforeAll(async () => {
    regional = regionalGrpc(stack.gw.grpcAddress);
    other = await registerClient(stack.gw, {
      scopes: OTHER_SCOPES.split(' '),
      odsCode: 'A81001',
      region: NE,
      lifecycle: 'registered',
    });
    const scopes = [`region/${NE}/systems.write`, `region/${NE}/population.read`];
    const a = await registerClient(stack.gw, { scopes, odsCode: 'YRA01', region: NE });
    authority = { id: a.id, token: await getToken(stack.gw, a, scopes.join(' ')) };
  });
  afterAll(() => regional?.close());

  it('registered: no clinical token, and the gRPC door refuses its calls by the lifecycle rule', async () => {
    const clinical = await requestToken(stack.gw.tokenUrl, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(other, stack.gw.tokenUrl),
      scope: 'system/Patient.r',
    });
    expect(clinical.status).toBe(400);
    expect(String(clinical.body['error_description'])).toContain('registered → sandbox');
    const t = await getToken(stack.gw, other, 'system/MeasureReport.rs');
    const res = await door.call(GET_PATIENT, { token: t, request: { nhsNumber: SANDBOX_NHS } });
    expect(res.code).toBe(status.PERMISSION_DENIED);
    const decoded = decodeGrpcError({ ...res, metadata: metadataOf(res.trailers) });
    expect(decoded.fieldViolations.map((v) => v.rule)).toEqual([CALL_RULES.registered]);
  });

  it('in the sandbox it has no session to be confined to: refused on both doors (403 / PERMISSION_DENIED naming the rule), each refusal audited', async () => {
    expect((await move(authority.token, 'sandbox', 'credentials for the sandbox')).status).toBe(
      200,
    );
    const t = await getToken(stack.gw, other, OTHER_SCOPES); // the sandbox's role scopes
    const session = await fhir('TestScript/$start-session', t, {
      method: 'POST',
      body: { resourceType: 'Parameters', parameter: [] } satisfies Parameters,
    });
    expect(session.status).toBe(422);
    expect(rulesOf(session.body as unknown as OperationOutcome)).toEqual(['conformance.role']);
    for (const [path, method, body] of [
      [`Patient/${SANDBOX_NHS}`, 'GET', undefined],
      ['Patient', 'POST', patient()],
    ] as const) {
      const res = await fhir(path, t, { method, ...(body ? { body } : {}) });
      expect(res.status).toBe(403);
      const outcome = res.body as unknown as OperationOutcome;
      expect(rulesOf(outcome)).toEqual([CALL_RULES.noSchemeNotLive]);
      expect(outcome.issue?.[0]?.code).toBe('forbidden');
      expect(outcome.issue?.[0]?.diagnostics).toContain(
        `system ${other.id} is sandbox, not live, and its product's role other has no conformance scheme`,
      );
    }
    const grpc = await door.call(GET_PATIENT, { token: t, request: { nhsNumber: SANDBOX_NHS } });
    expect(grpc.code).toBe(status.PERMISSION_DENIED);
    const decoded = decodeGrpcError({ ...grpc, metadata: metadataOf(grpc.trailers) });
    expect(decoded.reason).toBe('NOT_ADMITTED');
    expect(decoded.fieldViolations).toEqual([
      {
        field: 'lifecycle',
        rule: CALL_RULES.noSchemeNotLive,
        message: expect.stringContaining('until the national operator moves it live'),
      },
    ]);
    const refused = await eventually(async () => {
      const a = (await outbox.accesses(stack.gw.schema.schema, other.id)).filter(
        (r) => r.outcomeDescription === 'PERMISSION_DENIED: NOT_ADMITTED',
      );
      return a.length >= 4 ? a : false;
    }, 20_000);
    expect(refused.map((r) => r.interaction).sort()).toEqual(
      [GET_PATIENT, GET_PATIENT, 'GET /fhir/Patient/:id', 'POST /fhir/Patient'].sort(),
    );
    for (const r of refused)
      expect(r).toMatchObject({
        sourceService: 'gateway',
        outcome: '4',
        productVersionId: 'unclassified@legacy',
        odsCode: 'A81001',
      });
  });

  it("its go-live is the national operator's: the region's approval is refused on both doors, naming the rule", async () => {
    const approval = await move(authority.token, 'live', 'go-live approved by north-east');
    expect(approval.status).toBe(422);
    expect(approval.body).toMatchObject({ error: { code: 'LIFECYCLE_REQUIREMENT_UNMET' } });
    expect(JSON.stringify(approval.body)).toContain(NO_SCHEME_RULES.liveNationalOnly);
    const certify = await move(authority.token, 'certified', 'kit passed?');
    expect(certify.status).toBe(422);
    expect(certify.body).toMatchObject({ error: { code: 'LIFECYCLE_ILLEGAL_TRANSITION' } });
    expect(JSON.stringify(certify.body)).toContain('lifecycle.sandbox-to-certified');
    const grpc = await regional.answer(authority.token, (c) =>
      c.transitionRegionSystem({
        region: NE,
        id: other.id,
        to: 'live',
        reason: 'go-live approved by north-east',
      }),
    );
    expect(grpc).toMatchObject({ ok: false, status: 'FAILED_PRECONDITION' });
    if (grpc.ok) return;
    expect(grpc.error.decoded.fieldViolations.map((v) => v.rule)).toEqual([
      NO_SCHEME_RULES.liveNationalOnly,
    ]);
    expect(await lifecycleOf(other.id)).toBe('sandbox');
  });

  it('the national operator moves it live with a reason (history, region stream, audit); then both doors admit it', async () => {
    const reason = 'national act: legacy interface accepted for production';
    const live = await move(operatorToken, 'live', reason);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({
      nationalOverride: true,
      system: { lifecycle: 'live' },
      transition: { from: 'sandbox', to: 'live', actor: operatorId, nationalOverride: true },
    });
    const history = await fetch(
      `${stack.gw.baseUrl}/admin/v1/regions/${NE}/systems/${other.id}/lifecycle`,
      { headers: { authorization: `Bearer ${authority.token}` } },
    );
    const shown = (await history.json()) as {
      state: string;
      transitions: { from: string | null; to: string; nationalOverride: boolean }[];
    };
    expect(shown.state).toBe('live');
    expect(shown.transitions.slice(1).map((t) => [t.from, t.to, t.nationalOverride])).toEqual([
      ['registered', 'sandbox', false],
      ['sandbox', 'live', true],
    ]);
    // on north-east's stream (the outbox row the relay publishes) and in the audit
    const prefix = stack.gw.handle.app.get<GatewayConfig>(GATEWAY_CONFIG).regionTopicPrefix;
    const acted = await pg.query<{ topic: string; payload: Buffer }>(
      `SELECT topic, payload FROM "${stack.gw.schema.schema}".outbox_events WHERE ce_type = $1 AND key = $2 ORDER BY seq`,
      [REGIONAL_ACTED_TYPE, other.id],
    );
    const last = acted.rows.at(-1)!;
    expect(last.topic).toBe(regionStream(NE, prefix));
    expect(events.v1.RegionalAuthorityActed.decode(last.payload)).toMatchObject({
      region: NE,
      systemId: other.id,
      action: 'lifecycle',
      lifecycleFrom: 'sandbox',
      lifecycleTo: 'live',
      actor: operatorId,
      nationalOverride: true,
      reason,
    });
    const audited = await eventually(async () => {
      const a = (await outbox.accesses(stack.gw.schema.schema, operatorId)).filter(
        (r) => r.resourceId === other.id,
      );
      return a.length > 0 ? a : false;
    }, 20_000);
    expect(audited.map((r) => r.outcomeDescription)).toEqual([
      `lifecycle sandbox → live in ${NE} (national override): ${reason}`,
    ]);
    const t = await getToken(stack.gw, other, OTHER_SCOPES);
    const answers = await eventually(async () => {
      const a = await bothDoors(t);
      return a.rest !== 403 && a.grpc !== status.PERMISSION_DENIED ? a : false;
    }, 20_000);
    // the patient does not exist: the platform answered (not the lifecycle rule)
    expect(answers).toEqual({ rest: 404, grpc: status.NOT_FOUND });
    expect((await fhir('Patient', t, { method: 'POST', body: patient() })).status).toBe(201);
  });

  it("a regional authority's own client (role other, left in the sandbox) is no local system: its calls are not bound", async () => {
    expect(await lifecycleOf(authority.id)).toBe('sandbox');
    const res = await door.call('/trellis.identity.v1.PatientService/ListPatients', {
      token: authority.token,
      request: {},
    });
    expect([status.PERMISSION_DENIED, status.UNAUTHENTICATED]).not.toContain(res.code);
  });
});

/** The trailers RawGrpc returns (a map of single values) as Metadata for decodeGrpcError. */
function metadataOf(trailers: GrpcOutcome['trailers']): Metadata {
  const md = new Metadata();
  for (const [k, v] of Object.entries(trailers))
    for (const x of [v].flat()) md.add(k, x as MetadataValue);
  return md;
}
