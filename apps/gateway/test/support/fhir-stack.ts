// The running stack the FHIR tests drive over real HTTP: the real gateway in the test process
// (the app under test) and the real domain platforms as child processes started from their own
// entry points (apps/<platform>/src/main.ts), each on a fresh migrated schema and free ports,
// verifying the gateway's tokens through its published JWKS. Apps never import apps: the gateway
// reaches the platforms over gRPC only, here as in production.
import {
  createTestSchema,
  freePort,
  serviceEnv,
  spawnService,
  uniqueTopic,
  type ServiceProcess,
  type TestSchema,
} from '@trellis/testing';

import {
  collect,
  createTopics,
  deleteTopics,
  getToken,
  registerClient,
  startGateway,
  type GatewayUnderTest,
} from './harness';

export type PlatformName = 'identity' | 'results' | 'referrals' | 'appointments';
type OptionalPlatform = Exclude<PlatformName, 'identity'>;

/** A platform running as a child process (grpcUrl, pid, running, output(), stop()). */
export type PlatformProcess = ServiceProcess;

export interface FhirStack {
  gw: GatewayUnderTest;
  identity: PlatformProcess;
  identitySchema: TestSchema;
  conformanceTopic: string;
  fhirBase: string;
  /** host:port of the gateway's gRPC front door: local systems' gRPC to the platforms. */
  frontDoor: string;
  /** The results platform, when started (`{ results: true }`). */
  results?: PlatformProcess;
  /** The referrals platform, when started (`{ referrals: true }`). */
  referrals?: PlatformProcess;
  /** The appointments platform, when started (`{ appointments: true }`). */
  appointments?: PlatformProcess;
  /** A fresh token for a new connected system holding `scopes`. */
  token(scopes: string[], odsCode?: string): Promise<{ token: string; systemId: string }>;
  /** Stops the identity process (SIGTERM, waits for its exit). */
  stopIdentity(): Promise<void>;
  /** Stops one platform process (a platform that "does not answer"). */
  stopPlatform(name: OptionalPlatform): Promise<void>;
  /** Stops everything; rejects with the output of any platform that crashed meanwhile. */
  stop(): Promise<void>;
}

/** TRELLIS_STACK_TIMING=1: how long each start and stop took, on stderr (for measurements). */
function took(what: string, since: number): void {
  if (process.env['TRELLIS_STACK_TIMING'])
    process.stderr.write(`[fhir-stack] ${what}: ${String(Date.now() - since)} ms\n`);
}

async function timed<T>(what: string, work: Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await work;
  } finally {
    took(what, t0);
  }
}

/** Per-platform settings on top of the common ones (what the in-process harness set). */
function platformSettings(name: PlatformName, identityAddr: string): Record<string, string> {
  switch (name) {
    case 'identity': {
      const rangeFirst = 999_000_000 + Math.floor(Math.random() * 900) * 1_000;
      return {
        DATABASE_POOL_SIZE: '20',
        NHS_NUMBER_RANGE_NAME: 'fhir_test',
        NHS_NUMBER_RANGE_FIRST: String(rangeFirst),
        NHS_NUMBER_RANGE_LAST: String(rangeFirst + 999),
      };
    }
    case 'results':
      return { IDENTITY_GRPC_ADDR: identityAddr, IDENTITY_CACHE_TTL_MS: '0' };
    case 'referrals':
      return { IDENTITY_GRPC_ADDR: identityAddr, INBOUND_EVENTS_ENABLED: 'false' };
    case 'appointments':
      return { IDENTITY_GRPC_ADDR: identityAddr, IDENTITY_EVENTS_ENABLED: 'false' };
  }
}

interface Started {
  process: PlatformProcess;
  schema: TestSchema;
}

async function startPlatform(
  name: PlatformName,
  port: number,
  gatewayUrl: string,
  identityAddr: string,
  signal: AbortSignal,
  extraEnv: Record<string, string> = {},
): Promise<Started> {
  const schema = await timed(`${name} schema`, createTestSchema(name));
  const grpcUrl = `127.0.0.1:${port}`;
  try {
    const child = await timed(
      `${name} start`,
      spawnService({
        name,
        env: serviceEnv({
          SERVICE_NAME: name,
          DATABASE_SCHEMA: schema.schema,
          GRPC_HOST: '127.0.0.1',
          GRPC_PORT: String(port),
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: '0',
          LOG_LEVEL: 'warn',
          // tokens are the test gateway's: its issuer and JWKS (fetched when the first call comes)
          GATEWAY_URL: gatewayUrl,
          AUTH_ISSUER: gatewayUrl,
          AUTH_JWKS_URL: `${gatewayUrl}/.well-known/jwks.json`,
          OUTBOX_RELAY_ENABLED: 'false',
          SHUTDOWN_TIMEOUT_MS: '5000',
          ...platformSettings(name, identityAddr),
          ...extraEnv,
        }),
        ready: { grpc: grpcUrl },
        signal,
        // a saturated shared machine can take longer: TRELLIS_READY_TIMEOUT_MS raises it
        readyTimeoutMs: Number(process.env['TRELLIS_READY_TIMEOUT_MS'] ?? 90_000),
        stopTimeoutMs: 8_000,
      }),
    );
    return { process: child, schema };
  } catch (e) {
    await schema.drop().catch(() => undefined);
    throw e;
  }
}

/** Awaits every promise; throws the first failure (after all have settled). */
async function settleAll(work: Array<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(work)).filter(
    (r): r is PromiseRejectedResult => r.status === 'rejected',
  );
  if (failed.length === 1) throw failed[0]?.reason;
  if (failed.length > 1)
    throw new AggregateError(
      failed.map((f) => f.reason as unknown),
      failed.map((f) => String(f.reason instanceof Error ? f.reason.message : f.reason)).join('\n'),
    );
}

/**
 * Starts the gateway and the platforms (identity always; results/referrals/appointments when
 * `options` says so) in parallel. appointments/referrals/results not started point at
 * `platforms[name]`, else at a port where nothing listens (a platform that is down).
 */
export async function startFhirStack(
  platforms: Record<string, string> = {},
  options: {
    results?: boolean;
    referrals?: boolean;
    appointments?: boolean;
    /** Extra gateway settings (e.g. a longer rate-limit window). */
    gatewayEnv?: Record<string, string>;
    /** Extra settings per platform (e.g. the outbox relay on, for suites reading the events). */
    platformEnv?: Partial<Record<PlatformName, Record<string, string>>>;
  } = {},
): Promise<FhirStack> {
  const t0 = Date.now();
  const conformanceTopic = uniqueTopic('trellis.gateway.conformance');
  const wanted: PlatformName[] = [
    'identity',
    ...(['results', 'referrals', 'appointments'] as const).filter((n) => options[n]),
  ];
  const [gatewayPort, frontDoorPort, dead, ...ports] = await Promise.all(
    [0, 1, 2, ...wanted].map(() => freePort()),
  );
  const portOf = new Map(wanted.map((name, i) => [name, ports[i] as number]));
  const addr = (name: PlatformName) => {
    const port = portOf.get(name);
    return port ? `127.0.0.1:${port}` : (platforms[name] ?? `127.0.0.1:${String(dead)}`);
  };
  const gatewayUrl = `http://127.0.0.1:${String(gatewayPort)}`;

  // The gateway (in this process) and every platform process start at the same time.
  // The first failure abandons the other start-ups at once (fail fast, nothing left behind).
  let gw: GatewayUnderTest | undefined;
  const started = new Map<PlatformName, Started>();
  const abandon = new AbortController();
  let firstFailure: unknown;
  const failFast = (work: Promise<void>) =>
    work.catch((e: unknown) => {
      if (!abandon.signal.aborted) {
        firstFailure = e;
        abandon.abort();
      }
      throw e;
    });
  try {
    await settleAll(
      [
        createTopics([{ name: conformanceTopic }]).then(async () => {
          gw = await timed(
            'gateway start',
            startGateway(
              {
                IDENTITY_GRPC_ADDR: addr('identity'),
                APPOINTMENTS_GRPC_ADDR: addr('appointments'),
                REFERRALS_GRPC_ADDR: addr('referrals'),
                RESULTS_GRPC_ADDR: addr('results'),
                FHIR_CONFORMANCE_TOPIC: conformanceTopic,
                FHIR_EVERYTHING_DEADLINE_MS: '1500',
                GATEWAY_RATE_LIMIT_PER_WINDOW: '1000000',
                FRONTDOOR_GRPC_PORT: String(frontDoorPort),
                ...options.gatewayEnv,
              },
              { httpPort: gatewayPort },
            ),
          );
        }),
        ...wanted.map(async (name) => {
          const s = await startPlatform(
            name,
            portOf.get(name) as number,
            gatewayUrl,
            addr('identity'),
            abandon.signal,
            options.platformEnv?.[name],
          );
          started.set(name, s);
        }),
      ].map(failFast),
    );
  } catch (e) {
    await settleAll([
      ...[...started.values()].map(async (s) => {
        await s.process.stop().catch(() => undefined);
        await s.schema.drop();
      }),
      ...(gw ? [gw.stop()] : []),
    ]).catch(() => undefined);
    await deleteTopics([conformanceTopic]);
    throw firstFailure ?? e;
  }
  const running = gw as GatewayUnderTest;
  took('stack start (total)', t0);
  const identity = started.get('identity') as Started;
  const optional = (name: OptionalPlatform) => started.get(name)?.process;

  const stopOne = async (name: PlatformName) => {
    const s = started.get(name);
    if (s) await timed(`${name} stop`, s.process.stop());
  };
  return {
    gw: running,
    identity: identity.process,
    identitySchema: identity.schema,
    ...(optional('results') ? { results: optional('results') } : {}),
    ...(optional('referrals') ? { referrals: optional('referrals') } : {}),
    ...(optional('appointments') ? { appointments: optional('appointments') } : {}),
    conformanceTopic,
    fhirBase: `${running.baseUrl}/fhir`,
    frontDoor: `127.0.0.1:${String(frontDoorPort)}`,
    async token(scopes, odsCode = 'A81001') {
      const client = await registerClient(running, { scopes, odsCode, region: 'north-east' });
      return { token: await getToken(running, client, scopes.join(' ')), systemId: client.id };
    },
    stopIdentity: () => stopOne('identity'),
    stopPlatform: (name) => stopOne(name),
    async stop() {
      // every process is stopped and every schema dropped even when one of them crashed earlier;
      // the crash (with the platform's output) is what this rejects with.
      try {
        await settleAll(
          [...started.entries()].map(async ([name, s]) => {
            try {
              await timed(`${name} stop`, s.process.stop());
            } finally {
              await timed(`${name} schema drop`, s.schema.drop());
            }
          }),
        );
      } finally {
        await timed('gateway stop', running.stop());
        await timed('topics delete', deleteTopics([conformanceTopic]));
      }
    },
  };
}

export { collect };
