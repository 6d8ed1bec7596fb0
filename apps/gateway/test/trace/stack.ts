// The stack the trace test drives (loaded by child.ts after telemetry started): the real gateway
// (FHIR facade), the real identity platform with its outbox relay ON, and an inbox consumer of
// trellis.identity.patient.v1 (fresh group, latest offsets) on identity's own inbox table.
import { writeFileSync } from 'node:fs';

import { StaticSystemStatusFeed } from '@trellis/auth';
import {
  createInboxConsumer,
  createKafkajsEventBus,
  TOPICS,
  type ReceivedEvent,
} from '@trellis/events';
import { bootstrapService, kafkaConnection, type BaseConfig } from '@trellis/platform';
import type { InMemoryTelemetry } from '@trellis/telemetry';
import { createTestSchema, loadInfraEnv, uniqueGroupId, uniqueTopic } from '@trellis/testing';
import { createRemoteJWKSet } from 'jose';

// eslint-disable-next-line @nx/enforce-module-boundaries
import { createIdentityModule } from '../../../identity/src/app/app.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { identityConfigSchema } from '../../../identity/src/app/config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { PrismaService } from '../../../identity/src/app/prisma.service';
import {
  createTopics,
  deleteTopics,
  freePort,
  getToken,
  registerClient,
  startGateway,
} from '../support/harness';

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
  const identitySchema = await createTestSchema('identity');
  const rangeFirst = 999_000_000 + Math.floor(Math.random() * 900) * 1_000;
  const identity = await bootstrapService({
    name: 'identity',
    module: createIdentityModule({
      authKeySet: createRemoteJWKSet(new URL(`${gw.baseUrl}/.well-known/jwks.json`)),
      authIssuer: gw.baseUrl,
      statusFeed: new StaticSystemStatusFeed(),
    }),
    config: identityConfigSchema,
    env: {
      ...loadInfraEnv(),
      SERVICE_NAME: 'identity',
      DATABASE_SCHEMA: identitySchema.schema,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(identityPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      AUTH_ISSUER: gw.baseUrl,
      NHS_NUMBER_RANGE_NAME: 'trace_test',
      NHS_NUMBER_RANGE_FIRST: String(rangeFirst),
      NHS_NUMBER_RANGE_LAST: String(rangeFirst + 999),
      OUTBOX_RELAY_ENABLED: 'true',
    },
    grpc: { packages: ['trellis.identity.v1'], protoFiles: ['trellis/identity/v1/identity.proto'] },
    handleSignals: false,
  });

  const kafka = kafkaConnection(identity.config as BaseConfig);
  if (!kafka) throw new Error('KAFKA_BROKERS is not set');
  const bus = createKafkajsEventBus(kafka);
  const handled: ReceivedEvent[] = [];
  const consumer = createInboxConsumer({
    bus,
    groupId: uniqueGroupId('trace-test'),
    topics: [TOPICS.identityPatient.name],
    prisma: identity.app.get(PrismaService).client,
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
    const { resourceMetrics } = await memory.metricReader.collect();
    const metrics = resourceMetrics.scopeMetrics.flatMap((sm) =>
      sm.metrics.map((m) => ({
        name: m.descriptor.name,
        points: m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
      })),
    );
    writeFileSync(
      out,
      JSON.stringify({
        nhsNumber,
        event: handled.find((e) => e.subject === nhsNumber)?.id,
        spans: memory.spans().map((s) => ({
          name: s.name,
          kind: s.kind,
          traceId: s.spanContext().traceId,
          spanId: s.spanContext().spanId,
          parentSpanId: s.parentSpanContext?.spanId,
          scope: s.instrumentationScope.name,
          attributes: s.attributes,
        })),
        metrics,
      }),
    );
  } finally {
    await consumer.stop().catch(() => undefined);
    await identity.shutdown('trace test done').catch(() => undefined);
    await identitySchema.drop().catch(() => undefined);
    await gw.stop().catch(() => undefined);
    await deleteTopics([conformanceTopic]); // (the services' shutdown already flushed telemetry)
  }
}
