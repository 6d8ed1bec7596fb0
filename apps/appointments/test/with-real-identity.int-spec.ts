/**
 * End to end with the REAL identity service (apps/identity started as its own process on a fresh
 * schema, reached over gRPC, its events through its outbox relay and Kafka), not the test server:
 * booking checks the patient with identity, and identity's MarkDeceased / MergePatients reach
 * appointments through Kafka and the inbox.
 */
import { status } from '@grpc/grpc-js';
import { faker } from '@faker-js/faker/locale/en_GB';
import { createTestAuthority, forwardedTestKit, type TestAuthority } from '@trellis/auth/testing';
import { identity as identityContracts } from '@trellis/contracts';
import type { DecodedGrpcError, ForwardCallOptions } from '@trellis/service-kit';
import {
  createTestSchema,
  freePort,
  pollUntil,
  TypedTestClients,
  type TestSchema,
} from '@trellis/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';

import { ts } from './support/grpc-client';
import { at, testNhsNumber } from './support/harness';
import { startService, type ServiceUnderTest } from './support/service-under-test';

const ROOT = resolve(__dirname, '../../..');
/** identity's PatientService, typed, called as the gateway forwards a caller. */
class IdentityGrpcClient extends TypedTestClients<ForwardCallOptions, DecodedGrpcError> {
  readonly patients = this.client(identityContracts.v1.PatientServiceDefinition);

  constructor(address: string) {
    super(address, forwardedTestKit());
  }
}

class RealIdentity {
  proc?: ChildProcess;
  jwks?: Server;
  schema?: TestSchema;
  address = '';
  client?: IdentityGrpcClient;
  log = '';

  async start(authority: TestAuthority): Promise<void> {
    this.schema = await createTestSchema({
      app: 'identity',
      migrationsDir: join(ROOT, 'apps/identity/prisma/migrations'),
    });
    const jwksPort = await freePort();
    this.jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(authority.jwks));
    });
    await new Promise<void>((r) => this.jwks!.listen(jwksPort, '127.0.0.1', () => r()));
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    this.address = `127.0.0.1:${grpcPort}`;
    this.proc = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/identity/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
        SERVICE_NAME: 'identity',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(grpcPort),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        DATABASE_SCHEMA: this.schema.schema,
        AUTH_ISSUER: authority.issuer,
        AUTH_JWKS_URL: `http://127.0.0.1:${jwksPort}/.well-known/jwks.json`,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`identity exited: ${this.log.slice(-2000)}`);
      const ok = await fetch(`http://127.0.0.1:${httpPort}/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline)
        throw new Error(`identity not ready in 60 s: ${this.log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    this.client = new IdentityGrpcClient(this.address);
  }

  /** The typed PatientService client (once started). */
  get patients(): IdentityGrpcClient['patients'] {
    if (!this.client) throw new Error('identity is not started');
    return this.client.patients;
  }

  /** The call options of a caller presenting `token`. */
  as(token: string): ForwardCallOptions {
    if (!this.client) throw new Error('identity is not started');
    return this.client.as(token);
  }

  async stop(): Promise<void> {
    this.client?.close();
    if (this.proc && this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc!.once('exit', r));
      this.proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    await new Promise((r) => this.jwks?.close(r));
    await this.schema?.drop();
  }
}

describe('appointments with the real identity service', () => {
  let authority: TestAuthority;
  const identity = new RealIdentity();
  let svc: ServiceUnderTest;
  let clinician: string; // identity scopes + appointment scopes, GP practice A81001
  let trust: string;
  let identityAdmin: string; // merging records is national identity administration

  beforeAll(async () => {
    authority = await createTestAuthority();
    await identity.start(authority);
    svc = await startService({
      identityAddress: identity.address,
      identityTopic: 'trellis.identity.patient.v1',
      authority,
    });
    clinician = await authority.issue({
      scopes: ['system/Patient.cruds', 'system/Appointment.cruds', 'system/Slot.s'],
      systemId: 'gp-system',
      odsCode: 'A81001',
      region: 'north-east',
    });
    identityAdmin = await authority.issue({
      scopes: ['trellis/identity.admin'],
      systemId: 'identity-admin',
      odsCode: 'X26',
      region: 'london',
    });
    trust = await authority.issue({
      scopes: ['system/Schedule.cr', 'system/Slot.cs', 'system/Appointment.cruds'],
      systemId: 'trust-epr',
      odsCode: 'RTH',
      region: 'south-east',
    });
  });

  afterAll(async () => {
    await svc?.stop();
    await identity.stop();
  });

  async function register(): Promise<string> {
    const res = await identity.patients.registerPatient(
      {
        patient: {
          names: [
            {
              use: 2,
              family: faker.person.lastName(),
              given: [faker.person.firstName(), faker.string.alpha(6)],
            },
          ],
          gender: 2,
          birthDate: faker.date
            .birthdate({ min: 20, max: 80, mode: 'age' })
            .toISOString()
            .slice(0, 10),
          addresses: [
            {
              use: 1,
              lines: [faker.location.streetAddress()],
              city: faker.location.city(),
              postcode: 'TS1 1AA',
            },
          ],
          gpOdsCode: 'A81001',
        },
        overrideDuplicates: true,
        overrideReason: 'synthetic test patient',
      },
      identity.as(clinician),
    );
    versions.set(res.patient!.nhsNumber, res.patient!.version);
    return res.patient!.nhsNumber;
  }
  const versions = new Map<string, number>();

  it('books for a registered patient, refuses unknown / deceased / merged numbers, and reacts to identity events', async () => {
    const { schedule } = await svc.client.schedule.createSchedule(
      { serviceType: 'e2e-cardiology' },
      svc.client.as(trust),
    );
    const { slots } = await svc.client.schedule.publishSlots(
      {
        scheduleId: schedule!.id,
        slots: [9, 10, 11, 12, 13, 14].map((h) => ({ start: ts(at(6, h)), end: ts(at(6, h, 30)) })),
      },
      svc.client.as(trust),
    );
    const book = (slot: number, nhsNumber: string, key: string) =>
      svc.client.appointment.bookAppointment(
        { idempotencyKey: `e2e-${key}-${Date.now()}`, slotId: slots[slot]!.id, nhsNumber },
        svc.client.as(clinician),
      );

    // a registered patient can be booked; an unknown number cannot
    const alive = await register();
    const a1 = await book(0, alive, 'a1');
    expect(a1.appointment!.status).toBe(1);
    const unknown = await svc.client.fail(
      svc.client.appointment.bookAppointment(
        { idempotencyKey: 'e2e-unknown-1', slotId: slots[1]!.id, nhsNumber: testNhsNumber() },
        svc.client.as(clinician),
      ),
    );
    expect(unknown).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: 'PATIENT_NOT_FOUND',
    });

    // identity marks the patient deceased → PatientDeceased through Kafka cancels the appointment
    await identity.patients.markDeceased(
      { nhsNumber: alive, expectedVersion: versions.get(alive), deceasedAt: ts(new Date()) },
      identity.as(clinician),
    );
    await pollUntil("the deceased patient's appointment to be cancelled", async () => {
      const r = await svc.db.sql.query(
        'SELECT status::text, cancellation_reason FROM appointments WHERE id = $1',
        [a1.appointment!.id],
      );
      return r.rows[0].status === 'cancelled' ? r.rows[0] : undefined;
    });
    const dead = await svc.client.fail(
      svc.client.appointment.bookAppointment(
        { idempotencyKey: 'e2e-dead-000001', slotId: slots[1]!.id, nhsNumber: alive },
        svc.client.as(clinician),
      ),
    );
    expect(dead).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'PATIENT_DECEASED' });

    // identity merges a duplicate → appointments move to the survivor, the old number is refused
    const survivor = await register();
    const duplicate = await register();
    const a2 = await book(2, duplicate, 'a2');
    await identity.patients.mergePatients(
      {
        supersededNhsNumber: duplicate,
        survivorNhsNumber: survivor,
        reason: 'duplicate registration',
      },
      identity.as(identityAdmin),
    );
    await pollUntil('the merge to reach appointments', async () => {
      const r = await svc.db.sql.query('SELECT nhs_number FROM appointments WHERE id = $1', [
        a2.appointment!.id,
      ]);
      return r.rows[0].nhs_number === survivor ? true : undefined;
    });
    const merged = await svc.client.fail(
      svc.client.appointment.bookAppointment(
        { idempotencyKey: 'e2e-merged-00001', slotId: slots[3]!.id, nhsNumber: duplicate },
        svc.client.as(clinician),
      ),
    );
    expect(merged).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'PATIENT_MERGED' });
    expect(merged.message).toContain(survivor);
    expect((await book(3, survivor, 'a3')).appointment?.status).toBe(1);
  });
});
