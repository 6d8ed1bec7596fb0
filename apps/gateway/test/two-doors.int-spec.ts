// The two-doors table (issue 14): for every gRPC method a local system may call — generated from
// the proto service definitions by the front door itself, never listed here — the gateway's gRPC
// front door applies the same authentication, suspension, per-system rate budget (one bucket for
// both protocols), conformance counting and audit as the FHIR REST door; and a platform called
// directly with a valid system token but no service identity refuses the call.
import { status } from '@grpc/grpc-js';
import { TRELLIS_SCOPES } from '@trellis/auth';
import { testServiceIdentity } from '@trellis/auth/testing';
import { loadInfraEnv } from '@trellis/testing';
import { Client as Pg } from 'pg';

import { frontDoorRoutes } from '../src/app/front-door/front-door.routes';
import { SystemsService } from '../src/app/systems/systems.service';
import { startFhirStack, type FhirStack } from './fhir.harness';
import { BOOTSTRAP_CALLER, getToken, registerClient } from './support/harness';
import {
  eventually,
  OutboxReader,
  RawGrpc,
  reflectedServices,
  restStatus,
  restTwin,
  retryDelaySeconds,
} from './support/two-doors';

jest.setTimeout(240_000);

const ROUTES = frontDoorRoutes();
const WINDOW_SECONDS = 3600;

/** A budget case must not straddle a fixed-window boundary: wait for the next window if close. */
async function awayFromWindowEdge(): Promise<void> {
  const left = WINDOW_SECONDS - ((Date.now() / 1000) % WINDOW_SECONDS);
  if (left < 60) await new Promise((r) => setTimeout(r, (left + 1) * 1000));
}
const ALL = ['system/*.cruds', TRELLIS_SCOPES.restrictedRead, TRELLIS_SCOPES.identityAdmin];
const OTHER_PATIENT_DATA = ['system/Basic.r']; // a valid scope no platform method accepts
const REGIONAL = ['region/north-east/waiting-lists.read', 'region/north-east/population.read'];

let stack: FhirStack;
let door: RawGrpc;
let pg: Pg;
let outbox: OutboxReader;

/** A new connected system holding `scopes`, with its own budget when given, and a token. */
async function system(
  scopes: string[],
  budget?: number,
  odsCode = 'Y12345',
): Promise<{ id: string; token: string }> {
  const client = await registerClient(stack.gw, { scopes, odsCode });
  if (budget !== undefined) {
    await pg.query(
      `UPDATE "${stack.gw.schema.schema}".connected_systems SET rate_limit_per_window = $1 WHERE id = $2`,
      [budget, client.id],
    );
  }
  return { id: client.id, token: await getToken(stack.gw, client, scopes.join(' ')) };
}

/** One row per method: the gRPC outcome at the front door and the REST twin's status (or '-'). */
async function table(
  grpcToken: string | undefined,
  restToken: string | undefined,
): Promise<Array<[string, number, number | '-']>> {
  const rows: Array<[string, number, number | '-']> = [];
  for (const route of ROUTES) {
    const grpc = await door.call(route.path, grpcToken ? { token: grpcToken } : {});
    const twin = restTwin(route);
    rows.push([
      route.path,
      grpc.code,
      twin ? await restStatus(stack.fhirBase, twin, restToken) : '-',
    ]);
  }
  return rows;
}

const expectEvery = (
  rows: Array<[string, number, number | '-']>,
  grpc: number,
  rest: number,
): void => {
  expect(rows).toEqual(rows.map(([path, , r]) => [path, grpc, r === '-' ? '-' : rest]));
};

beforeAll(async () => {
  stack = await startFhirStack(
    {},
    {
      results: true,
      referrals: true,
      appointments: true,
      // one window for the whole suite: the budget cases must not straddle a window boundary
      gatewayEnv: { GATEWAY_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS) },
    },
  );
  door = new RawGrpc(stack.frontDoor);
  pg = new Pg({ connectionString: loadInfraEnv().DATABASE_URL });
  await pg.connect();
  outbox = new OutboxReader(pg);
});

afterAll(async () => {
  door?.close();
  await pg?.end();
  await stack?.stop();
});

describe('the front door serves every local-system method of the platform protos', () => {
  it('covers the six services, unary only, each method once', () => {
    const services = new Set(ROUTES.map((r) => r.service));
    expect([...services].sort()).toEqual([
      'trellis.appointments.v1.AppointmentService',
      'trellis.appointments.v1.ScheduleService',
      'trellis.identity.v1.PatientService',
      'trellis.records.v1.RecordLocatorService',
      'trellis.referrals.v1.ReferralService',
      'trellis.results.v1.ReportService',
    ]);
    expect(new Set(ROUTES.map((r) => r.path)).size).toBe(ROUTES.length);
    expect(ROUTES.filter((r) => !r.unary)).toEqual([]);
  });

  it('describes itself over server reflection (grpcurl list)', async () => {
    const listed = await reflectedServices(stack.frontDoor);
    expect(listed).toEqual(expect.arrayContaining([...new Set(ROUTES.map((r) => r.service))]));
    expect(listed.filter((s) => s.startsWith('trellis.gateway.'))).toEqual([]);
  });

  it('with a sufficient token every method reaches its platform (past both guards)', async () => {
    const { token } = await system(ALL);
    // a regional view needs a region's authority (issue 18): no local system's scopes suffice
    const authority = await system(REGIONAL, undefined, 'YRA01');
    const refusedAtADoor: Array<[string, number, string]> = [];
    for (const route of ROUTES) {
      const regional = ['GetRegionalWaitingLists', 'ListPatients'].includes(route.method);
      const r = await door.call(route.path, { token: regional ? authority.token : token });
      if ([status.UNAUTHENTICATED, status.PERMISSION_DENIED, status.UNAVAILABLE].includes(r.code))
        refusedAtADoor.push([route.path, r.code, r.details]);
    }
    expect(refusedAtADoor).toEqual([]);
  });
});

describe('the two-doors table, one row per method', () => {
  it('no token → UNAUTHENTICATED on gRPC, 401 on REST', async () => {
    expectEvery(await table(undefined, undefined), status.UNAUTHENTICATED, 401);
  });

  it('wrong scope → PERMISSION_DENIED on gRPC, 403 on REST', async () => {
    const { token } = await system(OTHER_PATIENT_DATA);
    expectEvery(await table(token, token), status.PERMISSION_DENIED, 403);
  });

  it('a budget exhausted on REST is exhausted on gRPC: RESOURCE_EXHAUSTED with RetryInfo', async () => {
    const budget = 3;
    await awayFromWindowEdge();
    const { token } = await system(ALL, budget);
    const spent: number[] = [];
    for (let i = 0; i < budget; i++)
      spent.push(await restStatus(stack.fhirBase, restTwin(ROUTES[0]!)!, token));
    expect(spent).not.toContain(429);
    const rows = await table(token, token);
    expectEvery(rows, status.RESOURCE_EXHAUSTED, 429);
    const one = await door.call(ROUTES[0]!.path, { token });
    expect(Number(one.trailers['retry-after']?.[0])).toBeGreaterThan(0);
    expect(retryDelaySeconds(one)).toBeGreaterThan(0);
  });

  it('a budget spent on gRPC (one call of every method) is exhausted on REST', async () => {
    await awayFromWindowEdge();
    const { token } = await system(ALL, ROUTES.length);
    const limited: string[] = [];
    for (const route of ROUTES) {
      const r = await door.call(route.path, { token });
      if (r.code === status.RESOURCE_EXHAUSTED) limited.push(route.path);
    }
    expect(limited).toEqual([]); // the budget held exactly one call per method
    // every method spent from the shared bucket, so REST has nothing left
    expect(await restStatus(stack.fhirBase, restTwin(ROUTES[0]!)!, token)).toBe(429);
    expect((await door.call(ROUTES[0]!.path, { token })).code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('a refused write is a ConformanceViolation on both doors (reads are not counted)', async () => {
    const grpcSystem = await system(ALL);
    const refused: Array<[string, number]> = [];
    for (const route of ROUTES) {
      const r = await door.call(route.path, { token: grpcSystem.token });
      if (r.code === status.INVALID_ARGUMENT || r.code === status.FAILED_PRECONDITION)
        refused.push([route.path, r.code]);
    }
    const refusedPaths = refused.map(([p]) => p);
    // an empty request is refused for its content by every write method except the batch, which
    // answers OK and reports each item's refusal in its response (not counted: docs/security.md)
    const allWrites = ROUTES.filter((r) => r.write).map((r) => r.path);
    expect(allWrites.filter((p) => !refusedPaths.includes(p))).toEqual([
      '/trellis.results.v1.ReportService/SubmitReports',
    ]);
    const writes = allWrites.filter((p) => refusedPaths.includes(p));
    const counted = await eventually(async () => {
      const v = await outbox.violations(stack.gw.schema.schema, grpcSystem.id);
      return new Set(v.map((x) => x.interaction)).size >= writes.length ? v : false;
    }, 20_000);
    expect([...new Set(counted.map((v) => v.interaction))].sort()).toEqual([...writes].sort());
    for (const v of counted) {
      expect(v.rule).not.toBe('');
      expect([400, 422]).toContain(v.httpStatus);
    }

    // REST: the same kind of refused write (a create with an unknown element) counts the same way
    const restSystem = await system(ALL);
    const creates = [
      ...new Map(
        ROUTES.filter((r) => r.action === 'C')
          .map((r) => restTwin(r))
          .filter((t) => t !== undefined && t.interaction === 'create')
          .map((t) => [t!.path, t!]),
      ).values(),
    ];
    expect(creates.length).toBeGreaterThan(0);
    for (const twin of creates) {
      const s = await restStatus(stack.fhirBase, twin, restSystem.token, {
        resourceType: twin.resource,
        notAnElement: true,
      });
      expect([400, 422]).toContain(s);
    }
    const restCounted = await eventually(async () => {
      const v = await outbox.violations(stack.gw.schema.schema, restSystem.id);
      return new Set(v.map((x) => x.resourceType)).size >= creates.length ? v : false;
    }, 20_000);
    expect(new Set(restCounted.map((v) => v.resourceType)).size).toBe(creates.length);
  });

  it('a suspended system is refused on both doors', async () => {
    const victim = await system(ALL);
    await stack.gw.handle.app
      .get(SystemsService)
      .suspend(victim.id, 'two-doors test', BOOTSTRAP_CALLER);
    await eventually(
      async () =>
        (await door.call(ROUTES[0]!.path, { token: victim.token })).code === status.UNAUTHENTICATED,
      20_000,
    );
    expectEvery(await table(victim.token, victim.token), status.UNAUTHENTICATED, 401);
  });
});

describe('audit: a gRPC call through the front door is recorded once', () => {
  const GET_PATIENT = '/trellis.identity.v1.PatientService/GetPatient';

  it('allowed → by the platform only; refused at the door → by the gateway only', async () => {
    await awayFromWindowEdge();
    const { id, token } = await system(ALL, 1);
    const gw = stack.gw.schema.schema;
    const identity = stack.identitySchema.schema;
    const allowed = await door.call(GET_PATIENT, { token, request: { nhsNumber: '9990000018' } });
    expect([0, status.NOT_FOUND]).toContain(allowed.code);
    const limited = await door.call(GET_PATIENT, { token, request: { nhsNumber: '9990000018' } });
    expect(limited.code).toBe(status.RESOURCE_EXHAUSTED);
    const byPlatform = await eventually(async () => {
      const a = await outbox.accesses(identity, id);
      return a.length > 0 ? a : false;
    }, 10_000);
    const byGateway = await eventually(async () => {
      const a = await outbox.accesses(gw, id);
      return a.length > 0 ? a : false;
    }, 10_000);
    expect(byPlatform.map((a) => [a.interaction, a.sourceService, a.outcome])).toEqual([
      [GET_PATIENT, 'identity', allowed.code === 0 ? '0' : '4'],
    ]);
    expect(byGateway.map((a) => [a.interaction, a.sourceService, a.outcomeDescription])).toEqual([
      [GET_PATIENT, 'gateway', 'RESOURCE_EXHAUSTED: RATE_LIMITED'],
    ]);
  });
});

describe('the platforms admit only the gateway and their peers', () => {
  it('a direct call with a valid system token but no service identity is refused', async () => {
    const { token } = await system(ALL);
    const direct = new RawGrpc(stack.identity.grpcUrl);
    try {
      const request = { nhsNumber: '9990000018' };
      const refused = await direct.call('/trellis.identity.v1.PatientService/GetPatient', {
        token,
        request,
      });
      expect([refused.code, refused.details]).toEqual([
        status.UNAUTHENTICATED,
        expect.stringMatching(/through the gateway/),
      ]);
      // the same call as the gateway makes it (with a service token) passes the guard
      const asGateway = await direct.call('/trellis.identity.v1.PatientService/GetPatient', {
        token,
        request,
        metadata: { 'x-trellis-service-token': testServiceIdentity().token() },
      });
      expect([status.UNAUTHENTICATED, status.PERMISSION_DENIED]).not.toContain(asGateway.code);
    } finally {
      direct.close();
    }
  });
});
