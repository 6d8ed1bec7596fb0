import { randomUUID } from 'node:crypto';

import { status } from '@grpc/grpc-js';
import { StaticSystemStatusFeed } from '@trellis/auth';
import { createTestAuthority, type TestAuthority } from '@trellis/auth/testing';
import { createPrismaClient } from '@trellis/database';
import {
  createEventBus,
  dlqTopicName,
  kafkaConfigFromEnv,
  TOPICS,
  type EventBus,
  type EventPublisher,
} from '@trellis/events';
import { bootstrapService, type ServiceHandle } from '@trellis/service-kit';
import {
  createTestSchema,
  fakeNhsNumbers,
  freePort,
  uniqueGroupId,
  uniqueTopic,
  type TestSchema,
} from '@trellis/testing';

import { createAuditModule } from '../src/app/app.module';
import { auditConfigSchema, type AuditConfig } from '../src/app/config';
import { PrismaClient } from '../src/app/prisma';
import { monthStart, partitionName } from '../src/app/store/months';
import { MaintenanceRepository } from '../src/app/store/maintenance.repository';
import { maintainPartitions } from '../src/app/store/partitions';
import { accessRecorded, until } from './support/access-events';
import { AuditGrpcClient } from './support/grpc-client';

jest.setTimeout(120_000);

describe('audit store: trellis.audit.access.v1 → partitioned store → search (real PostgreSQL + Kafka)', () => {
  let db: TestSchema;
  let prisma: PrismaClient;
  let bus: EventBus;
  let publisher: EventPublisher;
  let handle: ServiceHandle<AuditConfig>;
  let client: AuditGrpcClient;
  let authority: TestAuthority;
  const topic = uniqueTopic('trellis.test.audit');
  const now = new Date();
  const [alice, bob] = fakeNhsNumbers(2) as [string, string];
  const stored = async () =>
    (await prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM access_events`)[0]!.n;

  beforeAll(async () => {
    db = await createTestSchema('audit');
    prisma = createPrismaClient(PrismaClient, { url: db.url, schema: db.schema });
    bus = createEventBus(kafkaConfigFromEnv(process.env, 'audit-int-test'));
    const admin = bus.admin();
    await admin.connect();
    await admin.createTopics([
      { ...TOPICS.auditAccess, name: topic, partitions: 3, retentionMs: 3_600_000 },
      { ...TOPICS.auditAccess, name: dlqTopicName(topic), partitions: 1, retentionMs: 3_600_000 },
      TOPICS.auditAccess,
      TOPICS.auditFlag,
    ]);
    await admin.disconnect();
    publisher = bus.publisher();
    await publisher.connect();
    authority = await createTestAuthority();
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    handle = await bootstrapService({
      name: 'audit',
      module: createAuditModule({
        auth: {
          keySet: authority.keySet,
          issuer: authority.issuer,
          audience: authority.audience,
          statusFeed: new StaticSystemStatusFeed(),
        },
      }),
      config: auditConfigSchema,
      handleSignals: false,
      grpc: { packages: ['trellis.audit.v1'], protoFiles: ['trellis/audit/v1/audit.proto'] },
      env: {
        ...process.env,
        SERVICE_NAME: 'audit',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(grpcPort),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        DATABASE_SCHEMA: db.schema,
        AUDIT_TOPICS: topic,
        AUDIT_GROUP: uniqueGroupId('audit'),
        AUDIT_RETENTION_MONTHS: '2',
        AUDIT_PARTITIONS_AHEAD: '1',
        AUDIT_INGEST_BATCH_SIZE: '50',
        LOG_LEVEL: 'warn',
      },
    });
    client = new AuditGrpcClient(`127.0.0.1:${grpcPort}`);
  });

  afterAll(async () => {
    client?.close();
    await handle?.shutdown('test end');
    await publisher?.disconnect();
    await prisma?.$disconnect();
    await db?.drop();
  });

  it('has the partitions of the retention window, and drops whole months past it', async () => {
    const expected = [-2, -1, 0, 1].map((m) => partitionName(monthStart(now, m)));
    expect(await new MaintenanceRepository(prisma).partitions()).toEqual(expected);
    // two months later: the two oldest months fall out of the window, two new ones are created
    const later = monthStart(now, 2);
    const result = await maintainPartitions(
      new MaintenanceRepository(prisma),
      { retentionMonths: 2, ahead: 1 },
      later,
    );
    expect(result.dropped).toEqual(expected.slice(0, 2));
    expect(await new MaintenanceRepository(prisma).partitions()).toEqual(
      [0, 1, 2, 3].map((m) => partitionName(monthStart(now, m))),
    );
    // back to the window of today (the partitions dropped come back empty)
    await maintainPartitions(
      new MaintenanceRepository(prisma),
      { retentionMonths: 2, ahead: 1 },
      now,
    );
  });

  it('stores every access once (redelivery harmless), skips expired, dead-letters poison', async () => {
    const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
    const made = [
      accessRecorded({ topic, at: at(30), patientNhsNumber: alice }),
      accessRecorded({
        topic,
        at: at(20),
        patientNhsNumber: alice,
        systemId: 'demo-hospital-thameside',
        odsCode: 'R1K01',
        region: 'london',
      }),
      accessRecorded({
        topic,
        at: at(10),
        patientNhsNumber: alice,
        systemId: 'demo-lab-thameside-path',
        odsCode: 'R1K02',
        region: 'london',
        action: 'C',
        resourceType: 'DiagnosticReport',
        requiredScope: 'system/DiagnosticReport.c',
      }),
      accessRecorded({ topic, at: at(5), patientNhsNumber: bob, outcome: '4' }),
      accessRecorded({
        topic,
        at: at(1),
        patientNhsNumber: alice,
        systemId: 'demo-operator-console',
        odsCode: 'X26',
        region: 'london',
        requiredScope: 'trellis/admin',
      }),
    ];
    const expired = accessRecorded({
      topic,
      at: monthStart(now, -3),
      patientNhsNumber: alice,
    });
    const poison = accessRecorded({ topic, at: now, patientNhsNumber: alice, action: 'X' });
    await publisher.publish([...made, expired, poison].map((m) => m.message));
    await publisher.publish(made.slice(0, 2).map((m) => m.message)); // redelivered
    await until('all 5 stored', async () => (await stored()) === 5);
    const dead = await prisma.$queryRaw<{ event_id: string }[]>`
      SELECT event_id FROM dead_letter_events`;
    await until('the poison dead-lettered', async () => {
      const rows = await prisma.$queryRaw<{ event_id: string }[]>`
        SELECT event_id FROM dead_letter_events`;
      dead.splice(0, dead.length, ...rows);
      return rows.length === 1;
    });
    expect(dead.map((d) => d.event_id)).toEqual([poison.record.auditId]);
    expect(await stored()).toBe(5);
  });

  it('the operator searches any patient, newest first, with keyset pages and totals', async () => {
    const token = await authority.issue({
      systemId: 'demo-operator-console',
      scopes: ['trellis/admin', 'system/AuditEvent.rs'],
      odsCode: 'X26',
    });
    const first = await client.audit.searchAccessEvents(
      { patientNhsNumber: alice, page: { pageSize: 2 } },
      client.as(token),
    );
    expect(first.page!.total).toBe(4);
    expect(first.events.map((e) => e.odsCode)).toEqual(['X26', 'R1K02']);
    expect(first.events[0]!.purposeOfUse).toBe('HOPERAT');
    expect(first.events[1]!.purposeOfUse).toBe('TREAT');
    const second = await client.audit.searchAccessEvents(
      { patientNhsNumber: alice, page: { pageSize: 2, pageToken: first.page!.nextPageToken } },
      client.as(token),
    );
    expect(second.events.map((e) => e.odsCode)).toEqual(['R1K01', 'Y12345']);
    expect(second.page!.nextPageToken).toBe('');
    const denied = await client.audit.searchAccessEvents(
      { patientNhsNumber: bob, outcome: '4', page: {} },
      client.as(token),
    );
    expect(denied.events.map((e) => e.patientNhsNumber)).toEqual([bob]);
    const replayedElsewhere = await client.fail(
      client.audit.searchAccessEvents(
        { patientNhsNumber: bob, page: { pageToken: first.page!.nextPageToken } },
        client.as(token),
      ),
    );
    expect(replayedElsewhere).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(replayedElsewhere.fieldViolations.map((v) => v.field)).toEqual(['page.page_token']);
  });

  it("a local system reads only its own organisation's accesses", async () => {
    const token = await authority.issue({
      systemId: 'demo-hospital-thameside',
      scopes: ['system/AuditEvent.rs'],
      odsCode: 'R1K01',
      region: 'london',
    });
    const mine = await client.audit.searchAccessEvents(
      { patientNhsNumber: alice, page: {} },
      client.as(token),
    );
    expect(mine.events.map((e) => e.odsCode)).toEqual(['R1K01']);
    expect(mine.page!.total).toBe(1);
    const other = await client.fail(
      client.audit.searchAccessEvents(
        { patientNhsNumber: alice, odsCode: 'R1K02', page: {} },
        client.as(token),
      ),
    );
    expect(other).toMatchObject({ code: status.PERMISSION_DENIED, reason: 'NOT_YOUR_AUDIT' });
    const anyId = await client.audit.searchAccessEvents(
      { patientNhsNumber: alice, odsCode: 'R1K02', page: {} },
      client.as(await authority.issue({ scopes: ['trellis/admin', 'system/AuditEvent.rs'] })),
    );
    const foreign = await client.fail(
      client.audit.getAccessEvent({ auditId: anyId.events[0]!.auditId }, client.as(token)),
    );
    expect(foreign).toMatchObject({ code: status.NOT_FOUND, reason: 'ACCESS_EVENT_NOT_FOUND' });
    const own = await client.audit.getAccessEvent(
      { auditId: mine.events[0]!.auditId },
      client.as(token),
    );
    expect(own.event!.odsCode).toBe('R1K01');
  });

  it('a regional authority reads the accesses made by organisations of its region', async () => {
    const token = await authority.issue({
      systemId: 'demo-region-london',
      scopes: ['trellis/region.admin', 'system/AuditEvent.rs'],
      odsCode: 'Y56',
      region: 'london',
    });
    const london = await client.audit.searchAccessEvents(
      { patientNhsNumber: alice, page: {} },
      client.as(token),
    );
    expect(london.events.map((e) => e.odsCode)).toEqual(['X26', 'R1K02', 'R1K01']);
    expect(london.page!.total).toBe(3);
    const gpAccess = await client.audit.searchAccessEvents(
      { patientNhsNumber: alice, odsCode: 'Y12345', page: {} },
      client.as(await authority.issue({ scopes: ['trellis/admin', 'system/AuditEvent.rs'] })),
    );
    expect(
      await client.fail(
        client.audit.getAccessEvent({ auditId: gpAccess.events[0]!.auditId }, client.as(token)),
      ),
    ).toMatchObject({ code: status.NOT_FOUND });
  });

  it('refuses what the guard refuses: no service token, no scope, bad filters', async () => {
    const token = await authority.issue({ scopes: ['system/AuditEvent.rs'] });
    expect(
      await client.fail(
        client.unvouched.searchAccessEvents({ patientNhsNumber: alice }, client.as(token)),
      ),
    ).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(
      await client.fail(
        client.audit.searchAccessEvents(
          { patientNhsNumber: alice },
          client.as(await authority.issue({ scopes: ['system/Patient.rs'] })),
        ),
      ),
    ).toMatchObject({ code: status.PERMISSION_DENIED });
    const bad = await client.fail(
      client.audit.searchAccessEvents(
        { patientNhsNumber: '1234567890', action: 'X', page: { pageSize: 501 } },
        client.as(token),
      ),
    );
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.fieldViolations.map((v) => v.field).sort()).toEqual([
      'action',
      'page.page_size',
      'patient_nhs_number',
    ]);
    // only a citizen flags
    expect(
      await client.fail(
        client.audit.flagAccessEvent(
          { auditId: randomUUID(), reason: 'not me' },
          client.as(await authority.issue({ scopes: ['system/AuditEvent.rs', 'trellis/admin'] })),
        ),
      ),
    ).toMatchObject({ code: status.PERMISSION_DENIED });
  });
});
