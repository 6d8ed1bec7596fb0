// The stack the trace test drives (loaded by child.ts after telemetry started): the real gateway
// (FHIR facade) in this process, the real identity platform as its own process (apps/identity/
// src/main.ts, outbox relay ON) exporting its spans and metrics over OTLP to a receiver here, and
// an inbox consumer of trellis.identity.patient.v1 (fresh group, latest offsets) on the gateway's
// inbox table. The dump merges this process's in-memory telemetry with what identity exported.
import { writeFileSync } from 'node:fs';

import { createInboxConsumer, createEventBus, TOPICS, type ReceivedEvent } from '@trellis/events';
import { kafkaConnection, type BaseConfig } from '@trellis/service-kit';
import type { InMemoryTelemetry } from '@trellis/telemetry/testing';
import {
  createTestSchema,
  freePort,
  serviceEnv,
  spawnService,
  uniqueGroupId,
  uniqueTopic,
} from '@trellis/testing';

import { GatewayPrismaService } from '../../src/app/database/gateway-prisma.service';
import {
  createTopics,
  deleteTopics,
  getToken,
  registerClient,
  startGateway,
} from '../support/harness';
import { startOtlpReceiver } from './otlp-receiver';

export async function runStack(memory: InMemoryTelemetry): Promise<void> {
  const out = process.env['TRACE_OUT'];
  if (!out) throw new Error('TRACE_OUT is not set');
  const conformanceTopic = uniqueTopic('trellis.gateway.conformance');
  await createTopics([{ name: conformanceTopic }]);
  const identityPort = await freePort();
  const dead = await freePort();
  const gw = await startGateway({
    IDENTITY_GRPC_ADDR: `127.0.0.1:${identityPort}`,
    APPOINTMENTS_GRPC_ADDR: `127.0.0.1:${dead}`,
    REFERRALS_GRPC_ADDR: `127.0.0.1:${dead}`,
    RESULTS_GRPC_ADDR: `127.0.0.1:${dead}`,
    FHIR_CONFORMANCE_TOPIC: conformanceTopic,
    GATEWAY_RATE_LIMIT_PER_WINDOW: '1000000',
  });
  const [identitySchema, receiver] = await Promise.all([
    createTestSchema('identity'),
    startOtlpReceiver(),
  ]);
  const rangeFirst = 999_000_000 + Math.floor(Math.random() * 900) * 1_000;
  const identity = await spawnService({
    name: 'identity',
    env: serviceEnv({
      SERVICE_NAME: 'identity',
      DATABASE_SCHEMA: identitySchema.schema,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(identityPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      AUTH_ISSUER: gw.baseUrl,
      AUTH_JWKS_URL: `${gw.baseUrl}/.well-known/jwks.json`,
      NHS_NUMBER_RANGE_NAME: 'trace_test',
      NHS_NUMBER_RANGE_FIRST: String(rangeFirst),
      NHS_NUMBER_RANGE_LAST: String(rangeFirst + 999),
      OUTBOX_RELAY_ENABLED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    }),
    ready: { grpc: `127.0.0.1:${identityPort}` },
    readyTimeoutMs: 90_000,
  });

  const kafka = kafkaConnection(gw.handle.config as BaseConfig);
  if (!kafka) throw new Error('KAFKA_BROKERS is not set');
  const bus = createEventBus(kafka);
  const handled: ReceivedEvent[] = [];
  const consumer = createInboxConsumer({
    bus,
    groupId: uniqueGroupId('trace-test'),
    topics: [TOPICS.identityPatient.name],
    prisma: gw.handle.app.get(GatewayPrismaService),
    fromBeginning: false,
    handle: async (event) => {
      handled.push(event);
    },
  });
  await consumer.start();

  try {
    const client = await registerClient(gw, {
      scopes: ['system/Patient.cruds'],
      odsCode: 'A81001',
      region: 'north-east',
    });
    const token = await getToken(gw, client, 'system/Patient.cruds');
    const family = `Qtrace${Math.random().toString(36).slice(2, 8).replace(/\d/g, 'x')}`;
    const res = await fetch(`${gw.baseUrl}/fhir/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Patient',
        name: [{ use: 'official', family, given: ['Ada'] }],
        gender: 'female',
        birthDate: '1984-03-12',
        address: [{ use: 'home', line: ['1 Test Street'], city: 'Leeds', postalCode: 'LS1 4AP' }],
      }),
    });
    const body = (await res.json()) as { id?: string };
    if (res.status !== 201 || !body.id) {
      throw new Error(`POST /fhir/Patient → ${res.status} ${JSON.stringify(body)}`);
    }
    const nhsNumber = body.id;
    const deadline = Date.now() + 30_000;
    while (!handled.some((e) => e.subject === nhsNumber)) {
      if (Date.now() > deadline) throw new Error(`no event for ${nhsNumber} consumed in 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300)); // the consumer span ends after its commit
    // identity's shutdown flushes its spans and metrics to the receiver
    await identity.stop();
    const { resourceMetrics } = await memory.metricReader.collect();
    const metrics = [
      ...resourceMetrics.scopeMetrics.flatMap((sm) =>
        sm.metrics.map((m) => ({
          name: m.descriptor.name,
          points: m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
        })),
      ),
      ...receiver.metrics,
    ];
    writeFileSync(
      out,
      JSON.stringify({
        nhsNumber,
        event: handled.find((e) => e.subject === nhsNumber)?.id,
        spans: [
          ...memory.spans().map((s) => ({
            name: s.name,
            kind: s.kind,
            traceId: s.spanContext().traceId,
            spanId: s.spanContext().spanId,
            parentSpanId: s.parentSpanContext?.spanId,
            scope: s.instrumentationScope.name,
            attributes: s.attributes,
          })),
          ...receiver.spans,
        ],
        metrics,
      }),
    );
  } finally {
    await consumer.stop().catch(() => undefined);
    await identity.stop().catch(() => undefined);
    await receiver.close();
    await identitySchema.drop().catch(() => undefined);
    await gw.stop().catch(() => undefined);
    await deleteTopics([conformanceTopic]); // (the services' shutdown already flushed telemetry)
  }
}
