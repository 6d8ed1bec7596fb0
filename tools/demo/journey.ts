/**
 * The national journey, end to end, against a running platform (`npm start`), as local systems do
 * it: FHIR R4 REST at the gateway where the facade has the interaction, gRPC with the same bearer
 * token where it does not (the step says which). Run with `npm run demo`.
 *
 *   node -r @swc-node/register tools/demo/journey.ts [--quiet] [--json-summary FILE]
 *
 * Reads .trellis/demo/systems.json (written by the gateway seed) for the operator, hospital and
 * lab systems' keys; registers a fresh GP practice system for each run (so the run is independent
 * of earlier runs). Env: GATEWAY_URL, *_GRPC_ADDR (deploy/local/ports.env), KAFKA_* (infra.env).
 * Exported runJourney() is what tools/e2e/journey.int-spec.ts asserts on.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { events } from '@trellis/contracts';
import { createEventBus } from '@trellis/events';
import { decodeGrpcError, loadProtoPackageDefinition } from '@trellis/platform';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';

import { requestSystemToken, type SystemKey } from './system-token';

const ROOT = resolve(__dirname, '..', '..');

// ---------------------------------------------------------------------------------------------
// Output: one block per step, what was sent and what came back.

export interface JourneyLog {
  step(title: string): void;
  sent(what: string, body?: unknown): void;
  received(what: string, body?: unknown): void;
  note(text: string): void;
}

const MAX_BODY = 700;
const compact = (body: unknown): string => {
  if (body === undefined) return '';
  const s = typeof body === 'string' ? body : JSON.stringify(body);
  return s.length > MAX_BODY ? `${s.slice(0, MAX_BODY)}… (${s.length} chars)` : s;
};

export function consoleLog(write: (line: string) => void = (l) => console.log(l)): JourneyLog {
  let n = 0;
  return {
    step: (title) => write(`\n━━ Step ${++n}. ${title}`),
    sent: (what, body) =>
      write(`  → ${what}${body === undefined ? '' : `\n      ${compact(body)}`}`),
    received: (what, body) =>
      write(`  ← ${what}${body === undefined ? '' : `\n      ${compact(body)}`}`),
    note: (text) => write(`  · ${text}`),
  };
}

// ---------------------------------------------------------------------------------------------
// Configuration

export interface JourneyConfig {
  gatewayUrl: string;
  gatewayGrpc: string;
  identityGrpc: string;
  appointmentsGrpc: string;
  referralsGrpc: string;
  resultsGrpc: string;
  /** The gateway's gRPC front door: where local systems' gRPC goes (the platforms admit only the gateway). */
  frontDoorGrpc: string;
  demoDir: string;
  kafkaBrokers: string[];
  kafkaUser: string;
  kafkaPassword: string;
  /** Region of the GP practice (the patient's home region). */
  homeRegion: string;
  /** A region with no part in the journey (its authority must see nothing). */
  otherRegion: string;
}

function loadEnvFile(file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m && process.env[m[1]!] === undefined) process.env[m[1]!] = m[2]!;
  }
}

export function journeyConfigFromEnv(): JourneyConfig {
  loadEnvFile(join(ROOT, '.trellis', 'infra.env'));
  loadEnvFile(join(ROOT, 'deploy', 'local', 'ports.env'));
  const env = process.env;
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`${name} is not set (deploy/local/ports.env, .trellis/infra.env)`);
    return v;
  };
  return {
    gatewayUrl: need('GATEWAY_URL').replace(/\/+$/, ''),
    gatewayGrpc: need('GATEWAY_GRPC_ADDR'),
    identityGrpc: need('IDENTITY_GRPC_ADDR'),
    appointmentsGrpc: need('APPOINTMENTS_GRPC_ADDR'),
    referralsGrpc: need('REFERRALS_GRPC_ADDR'),
    resultsGrpc: need('RESULTS_GRPC_ADDR'),
    frontDoorGrpc: need('FRONTDOOR_GRPC_ADDR'),
    demoDir: env.TRELLIS_DEMO_DIR ?? join(ROOT, '.trellis', 'demo'),
    kafkaBrokers: need('KAFKA_BROKERS').split(','),
    kafkaUser: need('KAFKA_SASL_USERNAME'),
    kafkaPassword: need('KAFKA_SASL_PASSWORD'),
    homeRegion: env.JOURNEY_HOME_REGION ?? 'north-east',
    otherRegion: env.JOURNEY_OTHER_REGION ?? 'south-west',
  };
}

// ---------------------------------------------------------------------------------------------
// Clients: token endpoint, FHIR REST, gRPC

export interface FhirResponse {
  status: number;
  body: Record<string, unknown>;
  etag?: string;
}

async function fhir(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<FhirResponse> {
  const res = await fetch(`${base}/fhir/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/fhir+json',
      ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  const etag = res.headers.get('etag');
  return { status: res.status, body: parsed, ...(etag ? { etag } : {}) };
}

/** The ids of a searchset Bundle's entries. */
function bundleIds(bundle: Record<string, unknown>): string[] {
  return bundleResources(bundle).map((r) => String(r['id']));
}

function bundleResources(bundle: Record<string, unknown>): Array<Record<string, unknown>> {
  const entries =
    (bundle['entry'] as Array<{ resource?: Record<string, unknown> }> | undefined) ?? [];
  return entries.flatMap((e) => (e.resource ? [e.resource] : []));
}

/** The Trellis referral status a ServiceRequest carries in meta.tag (sent, accepted, booked…). */
function fhirReferralStatus(resource: Record<string, unknown>): string {
  const tags = (resource['meta'] as { tag?: Array<{ system?: string; code?: string }> } | undefined)
    ?.tag;
  return (
    tags?.find((t) => t.system === 'https://fhir.trellis.nhs.uk/CodeSystem/referral-status')
      ?.code ?? 'unknown'
  );
}

type Unary = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: unknown) => void,
) => unknown;
type Stub = grpc.Client & Record<string, Unary>;

export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }
}

class Grpc {
  private readonly stubs = new Map<string, Stub>();
  private readonly loaded: Record<string, unknown>;

  constructor() {
    this.loaded = grpc.loadPackageDefinition(
      loadProtoPackageDefinition([
        'trellis/gateway/v1/gateway.proto',
        'trellis/identity/v1/identity.proto',
        'trellis/appointments/v1/appointments.proto',
        'trellis/referrals/v1/referrals.proto',
        'trellis/results/v1/results.proto',
      ]),
    ) as Record<string, unknown>;
  }

  call<Res>(
    addr: string,
    service: string,
    method: string,
    req: unknown,
    token: string,
  ): Promise<Res> {
    const key = `${addr}|${service}`;
    let stub = this.stubs.get(key);
    if (!stub) {
      const Ctor = service
        .split('.')
        .reduce<unknown>((n, p) => (n as Record<string, unknown> | undefined)?.[p], this.loaded) as
        (new (a: string, c: grpc.ChannelCredentials) => Stub) | undefined;
      if (!Ctor) throw new Error(`unknown gRPC service ${service}`);
      stub = new Ctor(addr, grpc.credentials.createInsecure());
      this.stubs.set(key, stub);
    }
    const fn = stub[method.charAt(0).toLowerCase() + method.slice(1)];
    if (!fn) throw new Error(`unknown method ${service}/${method}`);
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    return new Promise<Res>((resolvePromise, reject) => {
      fn.call(stub, req, md, { deadline: Date.now() + 15_000 }, (err, res) => {
        if (err) {
          const d = decodeGrpcError(err);
          reject(new GrpcError(d.code, `${grpc.status[d.code] ?? d.code}: ${d.message}`, d));
        } else resolvePromise(res as Res);
      });
    });
  }

  close(): void {
    for (const s of this.stubs.values()) s.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Regional streams and audit

export interface RegionalEvent {
  offset: string;
  partition: number;
  type: string;
  source?: string;
  payloadView?: string;
  time?: string;
  recordTime?: string;
  key: string | null;
  data?: unknown;
}

export interface ConsumerRun {
  code: number | null;
  events: RegionalEvent[];
  stderr: string;
}

/** Runs tools/regional/consumer.ts (plain @platformatic/kafka + .proto files) as the authority would. */
export function runRegionalConsumer(args: string[], timeoutMs = 60_000): Promise<ConsumerRun> {
  return new Promise((resolvePromise) => {
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', join(ROOT, 'tools/regional/consumer.ts'), '--json', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const evs = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as RegionalEvent);
      resolvePromise({
        code,
        events: evs,
        stderr: err
          .split('\n')
          .filter((l) => l && !/TimeoutNegativeWarning|Timeout duration|trace-warnings/.test(l))
          .join('\n'),
      });
    });
  });
}

export interface AuditEntry {
  time: string;
  systemId: string;
  odsCode: string;
  interaction: string;
  action: string;
  outcome: string;
  sourceService: string;
}

/** The access audit stream (platform view, as User:trellis): entries about one patient since `sinceMs`. */
async function readAudit(cfg: JourneyConfig, nhs: string, sinceMs: number): Promise<AuditEntry[]> {
  const bus = createEventBus({
    clientId: 'trellis-journey-audit',
    brokers: cfg.kafkaBrokers,
    sasl: { mechanism: 'scram-sha-512', username: cfg.kafkaUser, password: cfg.kafkaPassword },
  });
  const topic = 'trellis.audit.access.v1';
  const groupId = `trellis-journey-audit-${randomUUID()}`;
  const admin = bus.admin();
  const pending = new Map<number, bigint>();
  try {
    const starts = await admin.offsetsAt!(topic, sinceMs);
    const ends = await admin.topicOffsets!(topic);
    for (const e of ends) {
      const start = starts.find((s) => s.partition === e.partition)?.offset ?? e.high;
      if (BigInt(start) < BigInt(e.high)) pending.set(e.partition, BigInt(e.high));
    }
    // the reader's group starts where the journey started
    if (pending.size > 0) await admin.setGroupOffsets!(groupId, topic, starts);
  } finally {
    await admin.disconnect();
  }
  const entries: AuditEntry[] = [];
  if (pending.size === 0) return entries;
  const consumer = bus.consumer({ groupId });
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => done(), 20_000);
    consumer
      .run({
        topics: [topic],
        eachBatch: async ({ partition, messages }) => {
          for (const message of messages) {
            const key = message.key ? Buffer.from(message.key).toString() : undefined;
            if (key === nhs && message.value) {
              const a = events.v1.AccessRecorded.decode(message.value);
              entries.push({
                time: new Date(message.timestamp).toISOString(),
                systemId: a.systemId,
                odsCode: a.odsCode,
                interaction: a.interaction,
                action: a.action,
                outcome: a.outcome,
                sourceService: a.sourceService,
              });
            }
            const high = pending.get(partition);
            if (high !== undefined && BigInt(message.offset) + 1n >= high)
              pending.delete(partition);
          }
          if (pending.size === 0) {
            clearTimeout(timer);
            done();
          }
        },
      })
      .catch(fail);
  });
  await consumer.stop();
  const cleanup = bus.admin();
  await cleanup.deleteGroups!([groupId]).catch(() => undefined);
  await cleanup.disconnect();
  return entries.sort((a, b) => a.time.localeCompare(b.time));
}

// ---------------------------------------------------------------------------------------------
// The journey

export interface EverythingSummary {
  status: number;
  resourceTypes: Record<string, number>;
  issues: string[];
}

export interface JourneyResult {
  gpClientId: string;
  startedAtMs: number;
  existingNhsNumber: string;
  duplicateStatus: number;
  duplicateCandidates: string[];
  nhsNumber: string;
  referralId: string;
  worklistContainsReferral: boolean;
  acceptedStatus: number;
  freeSlots: number;
  appointmentId: string;
  bookStatus: number;
  referralStatusAfterBooking: string;
  reportId: string;
  safetyNetBefore: boolean;
  acknowledgeStatus: number;
  safetyNetAfter: boolean;
  appointmentStatusAfterDeath: string;
  referralStatusAfterDeath: string;
  home: ConsumerRun;
  provider: ConsumerRun;
  other: ConsumerRun;
  otherOnHomeTopic: ConsumerRun;
  everything: { gp: EverythingSummary; hospital: EverythingSummary };
  /** ce_time of the domain event → record time on the home region's topic. */
  regionalDelayMs: { median: number; max: number };
  audit: AuditEntry[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

interface DemoIndex {
  tokenUrl: string;
  systems: Array<{ alias: string; clientId: string; odsCode: string; region: string }>;
}

const GP_ODS = 'A81001'; // Tees Valley Medical Centre, north-east (identity's practice table)
const HOSPITAL_SPECIALTY = 'cardiology';
const HOSPITAL_SERVICE = 'cardiology-opd';

const HOSPITAL_SCOPES =
  'system/Patient.rs system/Schedule.cruds system/Slot.cruds system/Appointment.cruds system/ServiceRequest.rus system/DiagnosticReport.rs system/Observation.rs';
const LAB_SCOPES = 'system/Patient.rs system/DiagnosticReport.cruds system/Observation.cruds';
const GP_SCOPES = [
  'system/Patient.cruds',
  'system/ServiceRequest.cruds',
  'system/DiagnosticReport.rus',
  'system/Observation.rs',
  'system/Appointment.rs',
  'system/Slot.rs',
  'system/Schedule.rs',
];

export async function runJourney(
  cfg: JourneyConfig = journeyConfigFromEnv(),
  log: JourneyLog = consoleLog(),
): Promise<JourneyResult> {
  const startedAtMs = Date.now() - 1000;
  const rpc = new Grpc();
  try {
    const index = JSON.parse(readFileSync(join(cfg.demoDir, 'systems.json'), 'utf8')) as DemoIndex;
    const tokenUrl = `${cfg.gatewayUrl}/oauth2/token`;
    const demoKey = (alias: string): SystemKey & { odsCode: string; region: string } => {
      const s = index.systems.find((x) => x.alias === alias);
      if (!s) throw new Error(`demo system ${alias} missing from ${cfg.demoDir}/systems.json`);
      const jwk = JSON.parse(
        readFileSync(join(cfg.demoDir, `${s.clientId}.private.jwk.json`), 'utf8'),
      ) as SystemKey['jwk'];
      return { clientId: s.clientId, jwk, odsCode: s.odsCode, region: s.region };
    };
    const hospitalSys = demoKey('hospital');
    const labSys = demoKey('lab');

    // 1. A new GP system joins and gets a token --------------------------------------------------
    log.step(
      'A GP practice system is registered at the gateway and gets a token with its signed JWT',
    );
    const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
    const kid = `journey-${Date.now()}`;
    const gpClientId = `journey-gp-${randomUUID().slice(0, 8)}`;
    const operatorToken = await requestSystemToken(tokenUrl, demoKey('operator'), 'trellis/admin');
    const registerReq = {
      clientId: gpClientId,
      name: 'Tees Valley Medical Centre (journey)',
      supplier: 'Journey demo',
      odsCode: GP_ODS,
      region: cfg.homeRegion,
      keys: {
        jwksJson: JSON.stringify({
          keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' }],
        }),
      },
      allowedScopes: GP_SCOPES,
      // the demo GP supplier's product version, registered by the gateway seed
      productVersionId: 'northgate-gp@4.2.1',
    };
    log.sent('gRPC ConnectedSystemService/RegisterSystem (operator token, trellis/admin)', {
      ...registerReq,
      keys: '{ jwks_json: <the practice public ES384 key> }',
    });
    await rpc.call(
      cfg.gatewayGrpc,
      'trellis.gateway.v1.ConnectedSystemService',
      'RegisterSystem',
      registerReq,
      operatorToken,
    );
    log.received(`system ${gpClientId} registered (ODS ${GP_ODS}, region ${cfg.homeRegion})`);
    // issue 18: a new system starts in the sandbox (conformance sessions only); its product
    // version holds a gp-system certificate (the seed's), so the region's authority approves it
    const authorityToken = await requestSystemToken(
      tokenUrl,
      demoKey(`authority-${cfg.homeRegion}`),
      `region/${cfg.homeRegion}/systems.write`,
    );
    for (const to of ['certified', 'live'] as const) {
      log.sent(
        `gRPC RegionalAuthorityService/TransitionRegionSystem (the ${cfg.homeRegion} authority's token)`,
        { region: cfg.homeRegion, id: gpClientId, to },
      );
      const moved = await rpc.call<{ system?: { lifecycle?: string } }>(
        cfg.gatewayGrpc,
        'trellis.gateway.v1.RegionalAuthorityService',
        'TransitionRegionSystem',
        {
          region: cfg.homeRegion,
          id: gpClientId,
          to,
          reason: `journey: northgate-gp@4.2.1 holds a gp-system certificate (${to})`,
        },
        authorityToken,
      );
      log.received(`lifecycle ${moved.system?.lifecycle ?? to}`);
    }
    const gpSys: SystemKey = {
      clientId: gpClientId,
      jwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES384' } as SystemKey['jwk'],
    };
    log.sent(
      `POST ${tokenUrl} grant_type=client_credentials, client_assertion=<JWT signed ES384 by the practice, kid ${kid}>`,
    );
    const gpToken = await requestSystemToken(tokenUrl, gpSys, GP_SCOPES.join(' '));
    const claims = decodeJwt(gpToken);
    log.received('access token', {
      sub: claims.sub,
      scope: claims['scope'],
      ods: claims['ods_code'] ?? claims['odsCode'],
      region: claims['region'],
      exp: claims.exp,
    });
    const hospitalToken = await requestSystemToken(tokenUrl, hospitalSys, HOSPITAL_SCOPES);
    const labToken = await requestSystemToken(tokenUrl, labSys, LAB_SCOPES);
    log.note(
      `the hospital (${hospitalSys.clientId}, ${hospitalSys.odsCode}, ${hospitalSys.region}) and the lab (${labSys.clientId}) get their tokens the same way`,
    );

    // 2. Register: a likely duplicate refused, then the new patient -------------------------------
    log.step(
      'The GP registers a patient over FHIR: a likely duplicate is refused, then the new patient is created',
    );
    const tag = randomUUID().replace(/\D/g, '').slice(0, 4).padEnd(4, '7');
    const surname = (base: string) =>
      `${base}${String.fromCharCode(97 + (Number(tag[0]) % 26))}${['ley', 'son', 'ham', 'well', 'by'][Number(tag[1]) % 5]}`;
    const existingResource = {
      resourceType: 'Patient',
      name: [{ use: 'official', family: surname('Thorn'), given: ['Edith'] }],
      gender: 'female',
      birthDate: `19${40 + (Number(tag.slice(0, 2)) % 50)}-0${1 + (Number(tag[2]) % 9)}-1${Number(tag[3]) % 9}`,
      address: [
        { use: 'home', line: ['12 Quayside'], city: 'Newcastle upon Tyne', postalCode: 'NE1 3DX' },
      ],
      generalPractitioner: [
        { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: GP_ODS } },
      ],
    };
    const existing = await fhir(cfg.gatewayUrl, gpToken, 'POST', 'Patient', existingResource);
    if (existing.status !== 201)
      throw new Error(
        `setup: registering the existing patient answered ${existing.status} ${compact(existing.body)}`,
      );
    const existingNhsNumber = String(existing.body['id']);
    log.note(
      `(already on the register: ${existingResource.name[0]!.given[0]} ${existingResource.name[0]!.family}, NHS ${existingNhsNumber})`,
    );
    log.sent(
      'POST /fhir/Patient — the receptionist types the same person in again',
      existingResource,
    );
    const dup = await fhir(cfg.gatewayUrl, gpToken, 'POST', 'Patient', existingResource);
    const dupIssues =
      (dup.body['issue'] as
        Array<{ code?: string; diagnostics?: string; details?: { text?: string } }> | undefined) ??
      [];
    const duplicateCandidates = dupIssues
      .map((i) => /Patient\/(\d{10})/.exec(`${i.diagnostics ?? ''} ${i.details?.text ?? ''}`)?.[1])
      .filter((x): x is string => !!x);
    log.received(`${dup.status} OperationOutcome`, dupIssues);
    const newResource = {
      resourceType: 'Patient',
      name: [{ use: 'official', family: surname('Armstrong'), given: ['Callum', 'James'] }],
      gender: 'male',
      birthDate: `19${50 + (Number(tag.slice(1, 3)) % 40)}-1${Number(tag[0]) % 3}-2${Number(tag[3]) % 8}`,
      address: [
        {
          use: 'home',
          line: ['7 Grainger Street'],
          city: 'Newcastle upon Tyne',
          postalCode: 'NE1 5JE',
        },
      ],
      telecom: [{ system: 'phone', value: '07700 900123', use: 'mobile' }],
      generalPractitioner: [
        { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: GP_ODS } },
      ],
    };
    log.sent('POST /fhir/Patient — the real new patient', newResource);
    const created = await fhir(cfg.gatewayUrl, gpToken, 'POST', 'Patient', newResource);
    if (created.status !== 201)
      throw new Error(
        `registering the new patient answered ${created.status} ${compact(created.body)}`,
      );
    const nhsNumber = String(created.body['id']);
    log.received(`201 Created Patient/${nhsNumber}`, {
      id: created.body['id'],
      meta: created.body['meta'],
      identifier: created.body['identifier'],
    });

    // 3. Urgent referral -------------------------------------------------------------------------
    log.step('The GP refers the patient (urgent) to the hospital cardiology service over FHIR');
    const referralBody = {
      resourceType: 'ServiceRequest',
      identifier: [
        {
          system: 'https://fhir.trellis.nhs.uk/Id/referral-request',
          value: `journey-${randomUUID()}`,
        },
      ],
      status: 'active',
      intent: 'order',
      priority: 'urgent',
      category: [
        {
          coding: [
            { system: 'https://fhir.nhs.uk/CodeSystem/Specialty-1', code: HOSPITAL_SPECIALTY },
          ],
        },
      ],
      code: {
        coding: [{ system: 'http://snomed.info/sct', code: '29857009', display: 'Chest pain' }],
      },
      subject: { reference: `Patient/${nhsNumber}` },
      requester: {
        identifier: { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: 'G8123456' },
      },
      performer: [
        {
          type: 'Organization',
          identifier: {
            system: 'https://fhir.nhs.uk/Id/ods-organization-code',
            value: hospitalSys.odsCode,
          },
          extension: [
            {
              url: 'https://fhir.trellis.nhs.uk/StructureDefinition/region',
              valueCode: hospitalSys.region,
            },
          ],
        },
      ],
      note: [
        {
          text: 'Exertional chest pain for 3 weeks, ECG shows ST depression. Please assess urgently.',
        },
      ],
    };
    log.sent('POST /fhir/ServiceRequest (FHIR; identifier = idempotency key)', referralBody);
    const sent = await fhir(cfg.gatewayUrl, gpToken, 'POST', 'ServiceRequest', referralBody);
    if (sent.status !== 201) throw new Error(`referral refused: ${JSON.stringify(sent.body)}`);
    const referralId = String(sent.body['id']);
    log.received(`${sent.status} ServiceRequest/${referralId} ${fhirReferralStatus(sent.body)}`);

    // 4. Hospital: worklist, accept, slots, book -------------------------------------------------
    log.step(
      'The hospital publishes a clinic, sees the referral in its worklist, accepts it, searches free slots and books one',
    );
    const day = 24 * 3600 * 1000;
    const base = new Date(Math.ceil((Date.now() + 2 * day) / 3_600_000) * 3_600_000);
    const scheduleBody = {
      resourceType: 'Schedule',
      actor: [
        {
          type: 'Organization',
          identifier: {
            system: 'https://fhir.nhs.uk/Id/ods-organization-code',
            value: hospitalSys.odsCode,
          },
        },
      ],
      serviceType: [{ coding: [{ code: HOSPITAL_SERVICE }], text: HOSPITAL_SERVICE }],
      specialty: [{ text: HOSPITAL_SPECIALTY }],
      comment: `Rapid access chest pain clinic ${tag}`,
    };
    log.sent(
      'POST /fhir/Schedule + 3 × POST /fhir/Slot — the hospital publishes capacity',
      scheduleBody,
    );
    const sched = await fhir(cfg.gatewayUrl, hospitalToken, 'POST', 'Schedule', scheduleBody);
    if (sched.status !== 201) throw new Error(`schedule refused: ${JSON.stringify(sched.body)}`);
    const scheduleId = String(sched.body['id']);
    for (const i of [0, 1, 2]) {
      const start = new Date(base.getTime() + i * day + (Number(tag) % 40) * 15 * 60_000);
      const slotBody = {
        resourceType: 'Slot',
        schedule: { reference: `Schedule/${scheduleId}` },
        status: 'free',
        start: start.toISOString(),
        end: new Date(start.getTime() + 30 * 60_000).toISOString(),
      };
      const made = await fhir(cfg.gatewayUrl, hospitalToken, 'POST', 'Slot', slotBody);
      if (made.status !== 201) throw new Error(`slot refused: ${JSON.stringify(made.body)}`);
    }
    log.received(`Schedule/${scheduleId} with 3 free slots`);

    const worklistPath = `ServiceRequest?performer=${hospitalSys.odsCode}&status=sent&priority=urgent&_count=100`;
    log.sent(`GET /fhir/${worklistPath} (the hospital's incoming worklist)`);
    const worklist = await eventually(
      'the referral in the worklist',
      () => fhir(cfg.gatewayUrl, hospitalToken, 'GET', worklistPath),
      (r) => bundleIds(r.body).includes(referralId),
      10_000,
    ).catch(() => ({ status: 0, body: {} }));
    const worklistContainsReferral = bundleIds(worklist.body).includes(referralId);
    log.received(
      `${bundleIds(worklist.body).length} urgent referral(s) waiting; ours ${worklistContainsReferral ? 'is' : 'is NOT'} among them`,
    );

    const acceptBody = {
      resourceType: 'Parameters',
      parameter: [{ name: 'note', valueString: 'Accepted for rapid access chest pain clinic' }],
    };
    log.sent(`POST /fhir/ServiceRequest/${referralId}/$accept (FHIR)`, acceptBody);
    const accepted = await fhir(
      cfg.gatewayUrl,
      hospitalToken,
      'POST',
      `ServiceRequest/${referralId}/$accept`,
      acceptBody,
    );
    log.received(
      `${accepted.status} ServiceRequest status=${String(accepted.body['status'] ?? '?')}`,
      accepted.status >= 300 ? accepted.body : undefined,
    );

    const slotPath = `Slot?service-type=${HOSPITAL_SERVICE}&organization=${hospitalSys.odsCode}&_count=20`;
    log.sent(`GET /fhir/${slotPath} (free slots, the next 14 days)`);
    const free = await fhir(cfg.gatewayUrl, hospitalToken, 'GET', slotPath);
    const freeSlots = bundleResources(free.body) as Array<{
      id: string;
      start: string;
      schedule?: { reference?: string };
    }>;
    const ours = freeSlots.filter((x) => x.schedule?.reference === `Schedule/${scheduleId}`);
    const slot = ours[0] ?? freeSlots[0];
    if (!slot) throw new Error(`no free slot found: ${JSON.stringify(free.body)}`);
    log.received(`${freeSlots.length} free slot(s); first: Slot/${slot.id} at ${slot.start}`);

    const bookBody = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'slot', valueReference: { reference: `Slot/${slot.id}` } },
        { name: 'patient', valueReference: { reference: `Patient/${nhsNumber}` } },
        { name: 'idempotency-key', valueString: `journey-book-${referralId}` },
        { name: 'referral', valueReference: { reference: `ServiceRequest/${referralId}` } },
      ],
    };
    log.sent('POST /fhir/Appointment/$book (FHIR)', bookBody);
    const booked = await fhir(cfg.gatewayUrl, hospitalToken, 'POST', 'Appointment/$book', bookBody);
    const appointmentId = String(booked.body['id'] ?? '');
    log.received(
      `${booked.status} Appointment/${appointmentId} status=${String(booked.body['status'] ?? '?')}`,
      booked.status >= 300 ? booked.body : undefined,
    );
    const afterBooking = await eventually(
      'the referral to become booked (AppointmentBooked → referrals)',
      () => fhir(cfg.gatewayUrl, gpToken, 'GET', `ServiceRequest/${referralId}`),
      (r) => fhirReferralStatus(r.body) === 'booked',
      20_000,
    ).catch(() => ({ status: 0, body: {} as Record<string, unknown> }));
    const referralStatusAfterBooking = fhirReferralStatus(afterBooking.body);
    log.received(
      `GET /fhir/ServiceRequest/${referralId}: referral is now "${referralStatusAfterBooking}" — set by referrals reacting to AppointmentBooked`,
    );

    // 5. Lab result, safety net, acknowledgement ---------------------------------------------------
    log.step(
      'The lab posts a report with an abnormal result; the GP safety net shows it; the GP acknowledges it',
    );
    const labReportId = `LAB-${tag}-${Date.now()}`;
    const mmol = (value: number) => ({
      value,
      unit: 'mmol/L',
      system: 'http://unitsofmeasure.org',
      code: 'mmol/L',
    });
    const reportBody = {
      resourceType: 'DiagnosticReport',
      identifier: [{ system: 'https://fhir.trellis.nhs.uk/Id/lab-report-id', value: labReportId }],
      extension: [
        {
          url: 'https://fhir.trellis.nhs.uk/StructureDefinition/report-requester',
          extension: [
            {
              url: 'organization',
              valueReference: {
                type: 'Organization',
                identifier: {
                  system: 'https://fhir.nhs.uk/Id/ods-organization-code',
                  value: GP_ODS,
                },
                extension: [
                  {
                    url: 'https://fhir.trellis.nhs.uk/StructureDefinition/region',
                    valueCode: cfg.homeRegion,
                  },
                ],
              },
            },
            {
              url: 'practitioner',
              valueIdentifier: { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: 'G8123456' },
            },
          ],
        },
      ],
      basedOn: [{ reference: `ServiceRequest/${referralId}` }],
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] },
      ],
      code: {
        coding: [
          {
            system: 'http://loinc.org',
            code: '24326-1',
            display: 'Electrolytes 1998 panel - Serum or Plasma',
          },
        ],
      },
      subject: { reference: `Patient/${nhsNumber}` },
      performer: [
        {
          type: 'Organization',
          identifier: {
            system: 'https://fhir.nhs.uk/Id/ods-organization-code',
            value: labSys.odsCode,
          },
        },
      ],
      issued: new Date().toISOString(),
      conclusion: 'Hyperkalaemia. Repeat urgently.',
      contained: [
        {
          resourceType: 'Observation',
          id: 'k',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: 'Potassium' }] },
          subject: { reference: `Patient/${nhsNumber}` },
          valueQuantity: mmol(6.4),
          interpretation: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
                  code: 'HH',
                },
              ],
            },
          ],
          referenceRange: [{ low: mmol(3.5), high: mmol(5.3) }],
        },
        {
          resourceType: 'Observation',
          id: 'na',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '2951-2', display: 'Sodium' }] },
          subject: { reference: `Patient/${nhsNumber}` },
          valueQuantity: mmol(139),
          referenceRange: [{ low: mmol(133), high: mmol(146) }],
        },
      ],
      result: [{ reference: '#k' }, { reference: '#na' }],
    };
    log.sent('POST /fhir/DiagnosticReport (lab; contained Observations, UCUM units)', reportBody);
    const submitted = await fhir(cfg.gatewayUrl, labToken, 'POST', 'DiagnosticReport', reportBody);
    if (submitted.status !== 201)
      throw new Error(`report refused: ${JSON.stringify(submitted.body)}`);
    const reportId = String(submitted.body['id']);
    const reportMeta = submitted.body['meta'] as { versionId?: string } | undefined;
    log.received(
      `${submitted.status} DiagnosticReport/${reportId} v${reportMeta?.versionId ?? '?'}`,
    );
    const unack = () =>
      rpc.call<{ reports: Array<{ report: { id: string }; waitingSeconds: number }> }>(
        cfg.frontDoorGrpc,
        'trellis.results.v1.ReportService',
        'ListUnacknowledgedReports',
        { minSeverity: 2, page: { pageSize: 200, pageToken: '' } },
        gpToken,
      );
    log.sent(
      'gRPC ReportService/ListUnacknowledgedReports { min_severity: abnormal } (GP safety net)',
    );
    const net1 = await unack();
    const safetyNetBefore = net1.reports.some((r) => r.report.id === reportId);
    log.received(
      `${net1.reports.length} unacknowledged abnormal/critical result(s); ours ${safetyNetBefore ? 'is listed' : 'is NOT listed'}`,
    );
    const ackBody = {
      resourceType: 'Parameters',
      parameter: [{ name: 'note', valueString: 'Seen. Patient called in for repeat U&E today.' }],
    };
    log.sent(`POST /fhir/DiagnosticReport/${reportId}/$acknowledge (FHIR)`, ackBody);
    const ack = await fhir(
      cfg.gatewayUrl,
      gpToken,
      'POST',
      `DiagnosticReport/${reportId}/$acknowledge`,
      ackBody,
    );
    log.received(
      `${ack.status} DiagnosticReport status=${String(ack.body['status'] ?? '?')}`,
      ack.status >= 300 ? ack.body : undefined,
    );
    const net2 = await unack();
    const safetyNetAfter = net2.reports.some((r) => r.report.id === reportId);
    log.received(`safety net now: ours ${safetyNetAfter ? 'still listed' : 'gone'}`);

    // 6. Death → future appointments cancelled -----------------------------------------------------
    log.step('The patient dies (test scenario): future appointments are cancelled automatically');
    log.sent(`GET /fhir/Patient/${nhsNumber} (the GP reads the record and its ETag)`);
    const current = await fhir(cfg.gatewayUrl, gpToken, 'GET', `Patient/${nhsNumber}`);
    const { meta: _meta, ...record } = current.body;
    const deathBody = { ...record, deceasedDateTime: new Date().toISOString() };
    log.sent(
      `PUT /fhir/Patient/${nhsNumber} If-Match: ${current.etag ?? '?'} with deceasedDateTime (as PDS)`,
      { deceasedDateTime: deathBody.deceasedDateTime },
    );
    const dead = await fhir(cfg.gatewayUrl, gpToken, 'PUT', `Patient/${nhsNumber}`, deathBody, {
      'if-match': current.etag ?? '',
    });
    if (dead.status !== 200) throw new Error(`death refused: ${JSON.stringify(dead.body)}`);
    log.received(`${dead.status} Patient ${dead.etag ?? ''} deceased`);
    log.sent(
      `GET /fhir/Appointment?patient=${nhsNumber} (hospital, polling until appointments reacts to PatientDeceased)`,
    );
    const apptAfter = await eventually(
      'the appointment to be cancelled',
      () => fhir(cfg.gatewayUrl, hospitalToken, 'GET', `Appointment?patient=${nhsNumber}`),
      (r) => JSON.stringify(r.body).includes('"cancelled"'),
      20_000,
    ).catch(async () =>
      fhir(cfg.gatewayUrl, hospitalToken, 'GET', `Appointment?patient=${nhsNumber}`),
    );
    const entries = (
      (apptAfter.body['entry'] as Array<{
        resource?: { id?: string; status?: string; cancelationReason?: unknown };
      }>) ?? []
    ).map((e) => e.resource ?? {});
    const ourAppt = entries.find((a) => a.id === appointmentId) ?? entries[0];
    const appointmentStatusAfterDeath = String(ourAppt?.status ?? 'unknown');
    log.received(
      `${apptAfter.status} Bundle: appointment ${ourAppt?.id ?? '?'} is "${appointmentStatusAfterDeath}"`,
      ourAppt?.cancelationReason,
    );
    log.sent(
      `GET /fhir/ServiceRequest/${referralId} (GP, polling until referrals reacts to PatientDeceased)`,
    );
    const referralAfter = await eventually(
      'the referral to be cancelled',
      () => fhir(cfg.gatewayUrl, gpToken, 'GET', `ServiceRequest/${referralId}`),
      (r) => fhirReferralStatus(r.body) === 'cancelled',
      20_000,
    ).catch(() => fhir(cfg.gatewayUrl, gpToken, 'GET', `ServiceRequest/${referralId}`));
    const referralStatusAfterDeath = fhirReferralStatus(referralAfter.body);
    log.received(`${referralAfter.status} ServiceRequest is "${referralStatusAfterDeath}"`);

    // 7. Regional streams ------------------------------------------------------------------------
    log.step(
      `Regional authorities read their streams with their own Kafka credentials (tools/regional/consumer.ts: plain @platformatic/kafka + .proto files)`,
    );
    const since = String(startedAtMs);
    const expectHome = [
      'PatientRegistered',
      'ReferralSent',
      'ReferralAccepted',
      'AppointmentBooked',
      'ReferralBooked',
      'ResultAvailable',
      'ResultAcknowledged',
      'PatientDeceased',
      'AppointmentCancelled',
    ];
    const shortType = (t: string) =>
      t.replace(/^uk\.nhs\.trellis\.[a-z]+\./, '').replace(/\.v\d+$/, '');
    let home: ConsumerRun = { code: null, events: [], stderr: '' };
    const deadline = Date.now() + 45_000;
    log.sent(
      `consumer.ts --region ${cfg.homeRegion} --timestamp ${new Date(startedAtMs).toISOString()} --subject ${nhsNumber} (as User:region-${cfg.homeRegion})`,
    );
    do {
      home = await runRegionalConsumer([
        '--region',
        cfg.homeRegion,
        '--group',
        `region-${cfg.homeRegion}.journey-${randomUUID().slice(0, 8)}`,
        '--timestamp',
        since,
        '--subject',
        nhsNumber,
        '--idle-exit-ms',
        '4000',
      ]);
      const seen = new Set(home.events.map((e) => shortType(e.type)));
      if (home.code !== 0 || expectHome.every((t) => seen.has(t))) break;
      await sleep(1000);
    } while (Date.now() < deadline);
    log.received(
      `${home.events.length} event(s) on trellis.region.${cfg.homeRegion}.v1 (exit ${home.code}):`,
    );
    for (const e of home.events)
      log.note(
        `  [p${e.partition}@${e.offset}] ${shortType(e.type)}  (${e.source}, ${e.payloadView})`,
      );
    if (home.stderr) log.note(home.stderr);
    const delays = home.events
      .filter((e) => e.time && e.recordTime)
      .map((e) => Date.parse(e.recordTime!) - Date.parse(e.time!))
      .sort((a, b) => a - b);
    const regionalDelayMs = {
      median: delays[Math.floor(delays.length / 2)] ?? -1,
      max: delays[delays.length - 1] ?? -1,
    };
    log.note(
      `domain event written (ce_time) → on the regional stream: median ${regionalDelayMs.median} ms, max ${regionalDelayMs.max} ms`,
    );
    const provider = await runRegionalConsumer([
      '--region',
      hospitalSys.region,
      '--group',
      `region-${hospitalSys.region}.journey-${randomUUID().slice(0, 8)}`,
      '--timestamp',
      since,
      '--subject',
      nhsNumber,
      '--idle-exit-ms',
      '3000',
    ]);
    log.received(
      `the hospital's region (${hospitalSys.region}): ${provider.events.length} event(s): ${provider.events.map((e) => `${shortType(e.type)}/${e.payloadView}`).join(', ')}`,
    );
    const referralIn = (run: ConsumerRun) =>
      (
        run.events.find((e) => shortType(e.type) === 'ReferralSent')?.data as
          { referral?: unknown } | undefined
      )?.referral;
    log.note(
      `ReferralSent as ${cfg.homeRegion} (home, full) sees it: ${compact(referralIn(home))}`,
    );
    log.note(
      `ReferralSent as ${hospitalSys.region} (minimal) sees it: ${compact(referralIn(provider))}`,
    );
    const other = await runRegionalConsumer([
      '--region',
      cfg.otherRegion,
      '--group',
      `region-${cfg.otherRegion}.journey-${randomUUID().slice(0, 8)}`,
      '--timestamp',
      since,
      '--subject',
      nhsNumber,
      '--idle-exit-ms',
      '3000',
    ]);
    log.received(
      `an uninvolved region (${cfg.otherRegion}): ${other.events.length} event(s) about this patient (exit ${other.code})`,
    );
    log.sent(
      `consumer.ts --region ${cfg.otherRegion} --topic trellis.region.${cfg.homeRegion}.v1 (User:region-${cfg.otherRegion} tries the other region's topic)`,
    );
    const otherOnHomeTopic = await runRegionalConsumer([
      '--region',
      cfg.otherRegion,
      '--topic',
      `trellis.region.${cfg.homeRegion}.v1`,
      '--group',
      `region-${cfg.otherRegion}.journey-${randomUUID().slice(0, 8)}`,
      '--from-beginning',
      '--idle-exit-ms',
      '3000',
    ]);
    log.received(
      `exit ${otherOnHomeTopic.code}: ${otherOnHomeTopic.stderr.trim() || '(no error)'}; ${otherOnHomeTopic.events.length} event(s) read`,
    );

    // 8. $everything + audit -------------------------------------------------------------------
    log.step('The shared care record (FHIR Patient/$everything) and the access audit stream');
    const everythingAs = async (who: string, token: string): Promise<EverythingSummary> => {
      log.sent(`GET /fhir/Patient/${nhsNumber}/$everything (${who})`);
      const ev = await fhir(cfg.gatewayUrl, token, 'GET', `Patient/${nhsNumber}/$everything`);
      const resourceTypes: Record<string, number> = {};
      const issues: string[] = [];
      const bundleEntries =
        (ev.body['entry'] as Array<{
          resource?: {
            resourceType?: string;
            status?: string;
            issue?: Array<{ diagnostics?: string; details?: { text?: string } }>;
          };
        }>) ?? [];
      for (const e of bundleEntries) {
        const rt = e.resource?.resourceType ?? '?';
        resourceTypes[rt] = (resourceTypes[rt] ?? 0) + 1;
        if (rt === 'OperationOutcome')
          for (const i of e.resource?.issue ?? [])
            issues.push(i.diagnostics ?? i.details?.text ?? '');
      }
      log.received(
        `${ev.status} Bundle: ${
          bundleEntries
            .filter((e) => e.resource?.resourceType !== 'OperationOutcome')
            .map(
              (e) =>
                `${e.resource?.resourceType}${e.resource?.status ? `(${e.resource.status})` : ''}`,
            )
            .join(', ') || '(empty)'
        }`,
        issues.length ? issues : undefined,
      );
      return { status: ev.status, resourceTypes, issues };
    };
    const everything = {
      gp: await everythingAs('GP', gpToken),
      hospital: await everythingAs('hospital', hospitalToken),
    };
    log.note(
      'each organisation sees what the platforms let it see: the GP the referral it sent and the result it requested, the hospital the referral it received and the appointment it booked',
    );
    const audit = await eventually(
      'audit events',
      () => readAudit(cfg, nhsNumber, startedAtMs),
      (a) => a.length > 0,
      15_000,
    ).catch(() => [] as AuditEntry[]);
    log.received(
      `${audit.length} access audit record(s) on trellis.audit.access.v1 for Patient/${nhsNumber}:`,
    );
    for (const a of audit)
      log.note(
        `  ${a.time}  ${a.systemId} (${a.odsCode})  ${a.action} ${a.interaction}  outcome=${a.outcome}  [${a.sourceService}]`,
      );

    return {
      gpClientId,
      startedAtMs,
      existingNhsNumber,
      duplicateStatus: dup.status,
      duplicateCandidates,
      nhsNumber,
      referralId,
      worklistContainsReferral,
      acceptedStatus: accepted.status,
      freeSlots: freeSlots.length,
      appointmentId,
      bookStatus: booked.status,
      referralStatusAfterBooking,
      reportId,
      safetyNetBefore,
      acknowledgeStatus: ack.status,
      safetyNetAfter,
      appointmentStatusAfterDeath,
      referralStatusAfterDeath,
      home,
      provider,
      other,
      otherOnHomeTopic,
      everything,
      regionalDelayMs,
      audit,
    };
  } finally {
    rpc.close();
  }
}

if (require.main === module) {
  const summaryIdx = process.argv.indexOf('--json-summary');
  const cfg = journeyConfigFromEnv();
  fetch(`${cfg.gatewayUrl}/health/ready`, { signal: AbortSignal.timeout(3000) })
    .then((res) => {
      if (res.status !== 200) throw new Error(`gateway not ready (${res.status})`);
    })
    .catch((err: unknown) => {
      console.error(
        `The platform does not answer at ${cfg.gatewayUrl} (${err instanceof Error ? err.message : String(err)}).\nStart it first: npm start (or TRELLIS_START_DETACH=1 npm start), then npm run demo.`,
      );
      process.exit(2);
    })
    .then(() => runJourney(cfg))
    .then((r) => {
      if (summaryIdx > 0 && process.argv[summaryIdx + 1])
        writeFileSync(process.argv[summaryIdx + 1]!, JSON.stringify(r, null, 2));
      console.log(
        `\nDone: patient ${r.nhsNumber}, referral ${r.referralId}, appointment ${r.appointmentId}, report ${r.reportId}.`,
      );
      process.exit(0);
    })
    .catch((err: unknown) => {
      console.error(
        `\njourney failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      process.exit(1);
    });
}
