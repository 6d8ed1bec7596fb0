// Scorecards at the FHIR facade: GET /fhir/MeasureReport from the real conformance service (a
// spawned process counting events from Kafka), who may read which card, and the Measure.
import { randomUUID } from 'node:crypto';

import { events, toTimestamp } from '@trellis/contracts';
import {
  createEventBus,
  dlqTopicName,
  kafkaConfigFromEnv,
  toCloudEventHeaders,
  TOPICS,
  type EventBus,
  type OutgoingMessage,
} from '@trellis/events';
import type { CapabilityStatement, OperationOutcome } from '@medplum/fhirtypes';
import { rulesOf, validateFhirResource } from '@trellis/fhir';
import {
  createTestSchema,
  freePort,
  serviceEnv,
  spawnService,
  uniqueGroupId,
  uniqueTopic,
  type ServiceProcess,
  type TestSchema,
} from '@trellis/testing';

import { ProductsService } from '../src/app/products/products.service';
import {
  BOOTSTRAP_CALLER,
  getToken,
  registerClient,
  startGateway,
  type GatewayUnderTest,
  type TestClient,
} from './support/harness';

jest.setTimeout(180_000);

const READ = 'system/MeasureReport.rs';
const OPERATOR_SCOPES = `trellis/admin ${READ}`;

function access(
  topic: string,
  systemId: string,
  productVersionId: string,
  at: Date,
  outcomeDescription: string,
): OutgoingMessage {
  const record = events.v1.AccessRecorded.fromPartial({
    auditId: randomUUID(),
    recordedAt: toTimestamp(at),
    action: 'C',
    outcome: outcomeDescription ? '4' : '0',
    outcomeDescription,
    interaction: 'POST /fhir/Patient',
    systemId,
    sourceService: 'gateway',
    resourceType: 'Patient',
    productVersionId,
  });
  return {
    topic,
    key: systemId,
    value: events.v1.AccessRecorded.encode(record).finish(),
    headers: toCloudEventHeaders({
      id: record.auditId,
      source: '/trellis/gateway',
      type: 'uk.nhs.trellis.audit.AccessRecorded.v1',
      time: at.toISOString(),
      subject: systemId,
      dataschema: 'proto:trellis.events.v1.AccessRecorded',
    }),
  };
}

describe('gateway scorecards (FHIR MeasureReport + Measure)', () => {
  const topics = {
    access: uniqueTopic('trellis.test.sc-access'),
    violation: uniqueTopic('trellis.test.sc-violation'),
  };
  let gw: GatewayUnderTest;
  let bus: EventBus;
  let conformanceSchema: TestSchema;
  let conformance: ServiceProcess;
  let operator: TestClient;
  let sysA: TestClient;
  let sysB: TestClient;
  let other: TestClient;
  const hour = 3_600_000;
  const start = new Date(Math.floor(Date.now() / hour) * hour - hour);
  const period = `period=ge${start.toISOString()}&period=lt${new Date(start.getTime() + hour).toISOString()}`;

  beforeAll(async () => {
    bus = createEventBus(kafkaConfigFromEnv(process.env, 'scorecards-test'));
    const admin = bus.admin();
    await admin.connect();
    const spec = { ...TOPICS.gatewayConformance, retentionMs: 3_600_000, partitions: 3 };
    await admin.createTopics(
      [topics.access, topics.violation].flatMap((t) => [
        { ...spec, name: t },
        { ...spec, name: dlqTopicName(t), partitions: 1 },
      ]),
    );
    await admin.disconnect();

    const port = await freePort();
    gw = await startGateway({ CONFORMANCE_GRPC_ADDR: `127.0.0.1:${port}` });
    conformanceSchema = await createTestSchema('conformance');
    conformance = await spawnService({
      name: 'conformance',
      env: serviceEnv({
        SERVICE_NAME: 'conformance',
        DATABASE_SCHEMA: conformanceSchema.schema,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        AUTH_ISSUER: gw.baseUrl,
        AUTH_JWKS_URL: `${gw.baseUrl}/.well-known/jwks.json`,
        CONFORMANCE_ACCESS_TOPIC: topics.access,
        CONFORMANCE_VIOLATION_TOPIC: topics.violation,
        CONFORMANCE_GROUP: uniqueGroupId('sc'),
        LOG_LEVEL: 'warn',
      }),
      ready: { grpc: `127.0.0.1:${port}` },
    });

    const products = gw.handle.app.get(ProductsService);
    await products.registerProduct(
      { id: 'acme-gp', supplier: 'Acme', name: 'Acme GP', role: 'gp_system' },
      BOOTSTRAP_CALLER,
    );
    await products.registerVersion('acme-gp', '1.0', BOOTSTRAP_CALLER);
    await products.registerVersion('acme-gp', '2.0', BOOTSTRAP_CALLER);
    operator = await registerClient(gw, { scopes: ['trellis/admin', READ], odsCode: 'X26' });
    sysA = await registerClient(gw, { scopes: [READ], productVersionId: 'acme-gp@1.0' });
    sysB = await registerClient(gw, { scopes: [READ], productVersionId: 'acme-gp@1.0' });
    other = await registerClient(gw, { scopes: [READ], productVersionId: 'acme-gp@2.0' });

    // A: 6 accepted, 3 refused 422, 1 refused 428; B: 4 accepted, 2 refused 409
    const pv = 'acme-gp@1.0';
    const at = (i: number) => new Date(start.getTime() + 60_000 * (i + 1));
    const messages = [
      ...Array.from({ length: 6 }, (_, i) => access(topics.access, sysA.id, pv, at(i), '')),
      ...Array.from({ length: 3 }, (_, i) => access(topics.access, sysA.id, pv, at(i), 'http 422')),
      access(topics.access, sysA.id, pv, at(4), 'http 428'),
      ...Array.from({ length: 4 }, (_, i) => access(topics.access, sysB.id, pv, at(i), '')),
      ...Array.from({ length: 2 }, (_, i) => access(topics.access, sysB.id, pv, at(i), 'http 409')),
    ];
    const publisher = bus.publisher();
    await publisher.connect();
    await publisher.publish(messages);
    await publisher.disconnect();
  });

  afterAll(async () => {
    await conformance?.stop().catch(() => undefined);
    await gw?.stop();
    await conformanceSchema?.drop();
  });

  async function get(
    path: string,
    client: TestClient,
    scope = client === operator ? OPERATOR_SCOPES : READ,
    headers: Record<string, string> = {},
  ) {
    const token = await getToken(gw, client, scope);
    const res = await fetch(`${gw.baseUrl}${path}`, {
      headers: { ...headers, authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  type Report = {
    resourceType: string;
    subject: { reference: string };
    group: Array<{
      code: { text: string };
      population?: Array<{ count: number }>;
      measureScore?: { value: number };
    }>;
  };
  const reportOf = (body: Record<string, unknown>): Report | undefined =>
    (body['entry'] as Array<{ resource: Report }> | undefined)?.[0]?.resource;

  async function waitForCard(path: string, requests: number): Promise<Record<string, unknown>> {
    const end = Date.now() + 90_000;
    for (;;) {
      const r = await get(path, operator);
      const population = reportOf(r.body)?.group[0]?.population;
      if (r.status === 200 && population?.[0]?.count === requests) return r.body;
      if (Date.now() > end)
        throw new Error(`card not counted: ${JSON.stringify(r.body).slice(0, 400)}`);
      await new Promise((res) => setTimeout(res, 300));
    }
  }

  it('the operator reads a product version’s card: every deployment counted, valid FHIR', async () => {
    const body = await waitForCard(`/fhir/MeasureReport?subject=Group/acme-gp@1.0&${period}`, 16);
    expect(validateFhirResource(body).issues).toEqual([]);
    const report = reportOf(body)!;
    expect(validateFhirResource(report).issues).toEqual([]);
    expect(report.subject.reference).toBe('Group/acme-gp@1.0');
    // requests 16, judged 16, accepted 10
    expect(report.group[0]!.population!.map((p) => p.count)).toEqual([16, 16, 10]);
    expect(report.group[0]!.measureScore!.value).toBe(0.625);
    const groups = Object.fromEntries(report.group.map((g) => [g.code.text, g]));
    expect(Object.keys(groups)).toEqual(
      expect.arrayContaining(['Refusals by status', 'Client behaviours']),
    );
  });

  it('a system reads its own card and its product version’s, not another’s', async () => {
    await waitForCard(`/fhir/MeasureReport?subject=Device/${sysA.id}&${period}`, 10);
    const own = await get(`/fhir/MeasureReport?subject=Device/${sysA.id}&${period}`, sysA);
    expect(own.status).toBe(200);
    expect(reportOf(own.body)!.group[0]!.population!.map((p) => p.count)).toEqual([10, 10, 6]);
    expect(
      (await get(`/fhir/MeasureReport?subject=Group/acme-gp@1.0&${period}`, sysA)).status,
    ).toBe(200);
    const notYours = await get(`/fhir/MeasureReport?subject=Device/${sysB.id}&${period}`, sysA);
    expect(notYours.status).toBe(403);
    expect(notYours.body['resourceType']).toBe('OperationOutcome');
    expect(
      (await get(`/fhir/MeasureReport?subject=Group/acme-gp@1.0&${period}`, other)).status,
    ).toBe(403);
  });

  it('no traffic = an empty searchset; bad searches = 400 OperationOutcome; no scope = 403', async () => {
    const empty = await get(`/fhir/MeasureReport?subject=Group/acme-gp@2.0&${period}`, operator);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 0 });
    for (const q of [
      'subject=Patient/9990000018',
      `subject=Device/${sysA.id}&period=ge2026-12-01`,
      `subject=Device/${sysA.id}&period=xx2026-12-01&period=lt2026-12-02`,
      `subject=Device/${sysA.id}&period=ge2026-01-01&period=lt2026-12-02`,
    ]) {
      const r = await get(`/fhir/MeasureReport?${q}`, operator);
      expect([q, r.status, r.body['resourceType']]).toEqual([q, 400, 'OperationOutcome']);
    }
    // the shared search table: an unknown parameter, modifier or a different repetition is refused
    for (const [q, rule] of [
      [`subject=Device/${sysA.id}&colour=blue`, 'search.unknown-parameter'],
      [`subject:missing=Device/${sysA.id}`, 'search.unknown-parameter'],
      [`subject=Device/${sysA.id}&_sort=-period`, 'search.unknown-parameter'],
      [`subject=Device/${sysA.id}&subject=Device/${sysB.id}`, 'search.repeated-parameter'],
      [`subject=Device/${sysA.id}&_count=x`, 'search.count'],
    ] as const) {
      const r = await get(`/fhir/MeasureReport?${q}`, operator);
      expect([q, r.status, rulesOf(r.body as unknown as OperationOutcome)]).toEqual([
        q,
        400,
        [rule],
      ]);
    }
    const noScope = await registerClient(gw, { scopes: ['system/Patient.rs'] });
    expect(
      (await get(`/fhir/MeasureReport?subject=Device/${noScope.id}`, noScope, 'system/Patient.rs'))
        .status,
    ).toBe(403);
  });

  it('serves the common search parameters and lenient handling like every FHIR search', async () => {
    const q = `subject=Device/${sysA.id}&${period}`;
    await waitForCard(`/fhir/MeasureReport?${q}`, 10);
    // _count=0: the total only
    const counted = await get(`/fhir/MeasureReport?${q}&_count=0`, operator);
    expect(counted.status).toBe(200);
    expect(counted.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
    expect(counted.body['entry']).toEqual([]);
    // _total=none: no total, the report still there
    const noTotal = await get(`/fhir/MeasureReport?${q}&_total=none`, operator);
    expect(noTotal.body).not.toHaveProperty('total');
    expect(reportOf(noTotal.body)?.resourceType).toBe('MeasureReport');
    // Prefer: handling=lenient drops the unknown parameter, names it and keeps the search
    const lenient = await get(`/fhir/MeasureReport?${q}&colour=blue`, operator, OPERATOR_SCOPES, {
      prefer: 'handling=lenient',
    });
    expect(lenient.status).toBe(200);
    expect(validateFhirResource(lenient.body).issues).toEqual([]);
    type Entry = { resource: { resourceType: string }; search: { mode: string } };
    const entries = lenient.body['entry'] as Entry[];
    expect(entries.map((e) => [e.resource.resourceType, e.search.mode])).toEqual([
      ['MeasureReport', 'match'],
      ['OperationOutcome', 'outcome'],
    ]);
    expect(rulesOf(entries[1]!.resource as OperationOutcome)).toEqual(['search.parameter-ignored']);
    const self = (lenient.body['link'] as Array<{ relation: string; url: string }>)[0]!.url;
    expect(self).not.toContain('colour');
    expect(new URL(self).pathname).toBe('/fhir/MeasureReport');
    expect(new URL(self).searchParams.get('subject')).toBe(`Device/${sysA.id}`);
  });

  it('declares MeasureReport (search) and Measure (read) in the CapabilityStatement', async () => {
    const res = await fetch(`${gw.baseUrl}/fhir/metadata`);
    expect(res.status).toBe(200);
    const cs = (await res.json()) as CapabilityStatement;
    const resources = cs.rest![0]!.resource!;
    const report = resources.find((r) => r.type === 'MeasureReport');
    expect(report?.interaction?.map((i) => i.code)).toEqual(['search-type']);
    expect(report?.searchParam?.map((p) => [p.name, p.type])).toEqual([
      ['subject', 'reference'],
      ['period', 'date'],
    ]);
    const measure = resources.find((r) => r.type === 'Measure');
    expect(measure?.interaction?.map((i) => i.code)).toEqual(['read']);
    expect(measure?.searchParam).toBeUndefined();
  });

  it('declares the conformance kit (TestScript, TestReport, VerificationResult, $start-session, $finish-session) in the CapabilityStatement and OpenAPI', async () => {
    const cs = (await (await fetch(`${gw.baseUrl}/fhir/metadata`)).json()) as CapabilityStatement;
    const resources = cs.rest![0]!.resource!;
    const byType = new Map<string, (typeof resources)[number]>(resources.map((r) => [r.type, r]));
    const shape = (type: string) => {
      const r = byType.get(type);
      return {
        interactions: r?.interaction?.map((i) => i.code).sort(),
        params: r?.searchParam?.map((p) => [p.name, p.type]),
        operations: r?.operation?.map((o) => o.name),
      };
    };
    expect(shape('TestScript')).toEqual({
      interactions: ['read', 'search-type'],
      params: [['context', 'token']],
      operations: ['start-session', 'finish-session'],
    });
    expect(shape('TestReport')).toEqual({
      interactions: ['read', 'search-type'],
      params: [['session', 'token']],
      operations: undefined,
    });
    expect(shape('VerificationResult')).toEqual({
      interactions: ['read', 'search-type'],
      params: [
        ['target', 'reference'],
        ['status', 'token'],
      ],
      operations: undefined,
    });
    const def = await fetch(`${gw.baseUrl}/fhir/OperationDefinition/testscript-start-session`);
    expect(def.status).toBe(200);
    expect(validateFhirResource(await def.json()).issues).toEqual([]);
    const api = (await (await fetch(`${gw.baseUrl}/fhir/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(api.paths)).toEqual(
      expect.arrayContaining([
        '/fhir/TestScript',
        '/fhir/TestScript/{id}',
        '/fhir/TestScript/$start-session',
        '/fhir/TestScript/$finish-session',
        '/fhir/TestReport',
        '/fhir/TestReport/{id}',
        '/fhir/VerificationResult',
        '/fhir/VerificationResult/{id}',
      ]),
    );
    // the shared search table now checks their queries: an unknown parameter is refused
    const unknown = await fetch(`${gw.baseUrl}/fhir/VerificationResult?colour=red`);
    expect(unknown.status).toBe(400);
    expect(rulesOf((await unknown.json()) as OperationOutcome)).toEqual([
      'search.unknown-parameter',
    ]);
    const count0 = await fetch(`${gw.baseUrl}/fhir/TestScript?context=gp-system&_count=0`);
    expect(count0.status).toBe(200);
    const bundle = (await count0.json()) as { total: number; entry?: unknown[] };
    expect(bundle.total).toBeGreaterThan(0);
    expect(bundle.entry ?? []).toEqual([]);
  });

  it('serves the scorecard definition as a valid Measure', async () => {
    const m = await get('/fhir/Measure/trellis-conformance-scorecard', sysA);
    expect(m.status).toBe(200);
    expect(m.body).toMatchObject({ resourceType: 'Measure', id: 'trellis-conformance-scorecard' });
    expect(validateFhirResource(m.body).issues).toEqual([]);
    expect((await get('/fhir/Measure/other', sysA)).status).toBe(404);
  });
});
