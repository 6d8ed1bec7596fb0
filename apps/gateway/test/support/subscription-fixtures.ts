// Builders the subscription suites share: a backport Subscription body, a hospital-requested
// result as a lab posts it, and the notifications service as a child process of the test stack.
import type { DiagnosticReport } from '@medplum/fhirtypes';
import {
  serviceEnv,
  spawnService,
  uniqueGroupId,
  type ServiceProcess,
  type TestSchema,
} from '@trellis/testing';

import { randomUUID } from 'node:crypto';

import type { FhirStack } from './fhir-stack';

export const TOPIC = 'https://fhir.trellis.nhs.uk/SubscriptionTopic';
export const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const REGION = 'https://fhir.trellis.nhs.uk/StructureDefinition/region';
const REQUESTER = 'https://fhir.trellis.nhs.uk/StructureDefinition/report-requester';
const LAB_ID = 'https://fhir.trellis.nhs.uk/Id/lab-report-id';

/** A backport rest-hook Subscription to `patient=Patient/<nhs>` (result-available by default). */
export function subscriptionBody(
  endpoint: string,
  nhs: string,
  over: { topic?: string; channelType?: string; content?: string; heartbeatSeconds?: number } = {},
): Record<string, unknown> {
  return {
    resourceType: 'Subscription',
    meta: { profile: [`${BACKPORT}/backport-subscription`] },
    status: 'requested',
    reason: 'Results for our registered patients',
    criteria: over.topic ?? `${TOPIC}/result-available`,
    _criteria: {
      extension: [
        { url: `${BACKPORT}/backport-filter-criteria`, valueString: `patient=Patient/${nhs}` },
      ],
    },
    channel: {
      type: over.channelType ?? 'rest-hook',
      endpoint,
      payload: 'application/fhir+json',
      _payload: {
        extension: [
          { url: `${BACKPORT}/backport-payload-content`, valueCode: over.content ?? 'id-only' },
        ],
      },
      header: ['Authorization: Bearer receiver-secret'],
      extension: [
        { url: `${BACKPORT}/backport-timeout`, valueUnsignedInt: 5 },
        ...(over.heartbeatSeconds
          ? [
              {
                url: `${BACKPORT}/backport-heartbeat-period`,
                valueUnsignedInt: over.heartbeatSeconds,
              },
            ]
          : []),
      ],
    },
  };
}

/** A hospital (RJ1, london) requested it; lab RR8 reports it; the patient's GP did not ask. */
export function hospitalResult(nhs: string, haemoglobin: number): DiagnosticReport {
  return {
    resourceType: 'DiagnosticReport',
    identifier: [{ system: LAB_ID, value: `sub-${randomUUID()}` }],
    extension: [
      {
        url: REQUESTER,
        extension: [
          {
            url: 'organization',
            valueReference: {
              type: 'Organization',
              identifier: { system: ODS, value: 'RJ1' },
              extension: [{ url: REGION, valueCode: 'london' }],
            },
          },
          {
            url: 'practitioner',
            valueIdentifier: { system: 'https://fhir.hl7.org.uk/Id/gmc-number', value: '7654321' },
          },
        ],
      },
    ],
    basedOn: [{ reference: `ServiceRequest/${randomUUID()}` }],
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '58410-2', display: 'CBC panel' }] },
    subject: { reference: `Patient/${nhs}` },
    performer: [{ type: 'Organization', identifier: { system: ODS, value: 'RR8' } }],
    issued: new Date().toISOString(),
    contained: [
      {
        resourceType: 'Observation',
        id: 'hb',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
        subject: { reference: `Patient/${nhs}` },
        valueQuantity: {
          value: haemoglobin,
          unit: 'g/L',
          system: 'http://unitsofmeasure.org',
          code: 'g/L',
        },
      },
    ],
    result: [{ reference: '#hb' }],
  };
}

/**
 * The notifications service on `schema`, serving gRPC on `grpcPort`, verifying the stack
 * gateway's tokens and following its system registry feed (suspension and scopes).
 */
export function startNotifications(
  stack: FhirStack,
  schema: TestSchema,
  grpcPort: number,
): Promise<ServiceProcess> {
  const gatewayUrl = stack.gw.baseUrl;
  const grpcAddr = `127.0.0.1:${String(grpcPort)}`;
  return spawnService({
    name: 'notifications',
    env: serviceEnv({
      SERVICE_NAME: 'notifications',
      DATABASE_SCHEMA: schema.schema,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: process.env['SUBSCRIPTIONS_LOG_LEVEL'] ?? 'warn',
      GATEWAY_URL: gatewayUrl,
      AUTH_ISSUER: gatewayUrl,
      AUTH_JWKS_URL: `${gatewayUrl}/.well-known/jwks.json`,
      NOTIFICATIONS_GROUP: uniqueGroupId('trellis.notifications'),
      NOTIFICATIONS_SYSTEM_TOPIC: stack.gw.systemTopic,
      NOTIFICATIONS_FHIR_BASE_URL: stack.fhirBase,
      NOTIFICATIONS_ALLOW_HTTP_ENDPOINTS: 'true',
      NOTIFICATIONS_RETRY_BASE_MS: '200',
      NOTIFICATIONS_RETRY_MAX_MS: '1000',
      NOTIFICATIONS_POLL_MS: '100',
      SHUTDOWN_TIMEOUT_MS: '5000',
    }),
    ready: { grpc: grpcAddr },
    readyTimeoutMs: 120_000,
    stopTimeoutMs: 10_000,
  });
}
