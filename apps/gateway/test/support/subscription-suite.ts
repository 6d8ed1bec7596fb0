// A subscription suite's running world: the FHIR stack with identity and results publishing their
// events, the notifications service following the stack gateway's system registry feed, and the
// helpers the issue 21 proofs share (FHIR calls, waiting, the notifications schema's view).
import { faker } from '@faker-js/faker/locale/en_GB';
import type { Bundle, DiagnosticReport, Parameters, Patient } from '@medplum/fhirtypes';
import { createTestSchema, freePort, type ServiceProcess, type TestSchema } from '@trellis/testing';
import { Client as Pg } from 'pg';

import { startFhirStack, type FhirStack } from './fhir-stack';
import { hospitalResult, ODS, startNotifications } from './subscription-fixtures';

export interface Reply<T> {
  status: number;
  body: T;
}

export class SubscriptionSuite {
  private constructor(
    readonly stack: FhirStack,
    readonly schema: TestSchema,
    readonly notifications: ServiceProcess,
  ) {}

  static async start(): Promise<SubscriptionSuite> {
    const port = await freePort();
    const stack = await startFhirStack(
      {},
      {
        results: true,
        gatewayEnv: { NOTIFICATIONS_GRPC_ADDR: `127.0.0.1:${String(port)}` },
        platformEnv: {
          identity: { OUTBOX_RELAY_ENABLED: 'true' },
          results: { OUTBOX_RELAY_ENABLED: 'true' },
        },
      },
    );
    const schema = await createTestSchema('notifications');
    try {
      return new SubscriptionSuite(stack, schema, await startNotifications(stack, schema, port));
    } catch (e) {
      await schema.drop();
      await stack.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    try {
      await this.notifications.stop();
    } finally {
      await this.schema.drop();
      await this.stack.stop();
    }
  }

  async fhir<T>(
    path: string,
    token: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<Reply<T>> {
    const res = await fetch(`${this.stack.fhirBase}/${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.body ? { 'content-type': 'application/fhir+json' } : {}),
      },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** One query on the notifications schema (`$schema` stands for its name). */
  async sql<R extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
    const pg = new Pg({ connectionString: this.schema.url });
    await pg.connect();
    try {
      return (await pg.query<R>(text.replaceAll('$schema', this.schema.schema), values)).rows;
    } finally {
      await pg.end();
    }
  }

  /** Polls `check` until it returns a value (generous deadline: the machine is shared). */
  async until<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
    const deadline = Date.now() + Number(process.env['SUBSCRIPTIONS_WAIT_MS'] ?? 240_000);
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > deadline) {
        const subs = await this.sql(
          'SELECT id, owner_system_id, status, event_count, delivered_through, last_error FROM $schema.subscriptions',
        );
        const out = this.notifications.output();
        throw new Error(
          `timed out waiting for ${what}\nsubscriptions: ${JSON.stringify(subs)}\nnotifications stderr:\n${out.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** A patient registered with `gp`; restricted when asked (the token must then allow it). */
  async patient(token: string, gp: string, restricted = false): Promise<string> {
    const created = await this.fhir<Patient>('Patient', token, {
      method: 'POST',
      body: {
        resourceType: 'Patient',
        ...(restricted
          ? {
              meta: {
                security: [
                  { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' },
                ],
              },
            }
          : {}),
        name: [{ family: faker.person.lastName(), given: [faker.person.firstName()] }],
        gender: 'female',
        birthDate: faker.date
          .birthdate({ min: 20, max: 90, mode: 'age' })
          .toISOString()
          .slice(0, 10),
        generalPractitioner: [{ identifier: { system: ODS, value: gp } }],
      },
    });
    if (created.status !== 201) throw new Error(`patient refused: ${JSON.stringify(created.body)}`);
    return created.body.id!;
  }

  /** The lab (its token) reports a hospital-requested result; returns the report id. */
  async result(labToken: string, nhs: string, haemoglobin: number): Promise<string> {
    const res = await this.fhir<DiagnosticReport>('DiagnosticReport', labToken, {
      method: 'POST',
      body: hospitalResult(nhs, haemoglobin),
    });
    if (res.status !== 201) throw new Error(`result refused: ${JSON.stringify(res.body)}`);
    return res.body.id!;
  }

  /** `$status` of a subscription as its owner reads it (undefined when refused). */
  async status(
    id: string,
    token: string,
  ): Promise<{ status?: string; eventsSinceStart: number; error?: string } | undefined> {
    const res = await this.fhir<Bundle>(`Subscription/${id}/$status`, token);
    if (res.status !== 200) return undefined;
    const p = res.body.entry?.[0]?.resource as Parameters;
    const value = (name: string) => p.parameter?.find((x) => x.name === name);
    const error = value('error')?.valueCodeableConcept?.text;
    return {
      status: value('status')?.valueCode,
      eventsSinceStart: Number(value('events-since-subscription-start')?.valueString),
      ...(error ? { error } : {}),
    };
  }

  reportUrl(id: string): string {
    return `${this.stack.fhirBase}/DiagnosticReport/${id}`;
  }
}
