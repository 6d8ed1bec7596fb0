// Fixtures of the conformance kit's integration spec: an abnormal lab report, the conformance
// service's compliance decisions, and a plain gRPC client of CertificationService.
import { randomUUID } from 'node:crypto';

import type { Bundle, DiagnosticReport, TestReport, VerificationResult } from '@medplum/fhirtypes';
import { events } from '@trellis/contracts';
import { toCloudEventHeaders, type EventBus } from '@trellis/events';
import { SignJWT } from 'jose';

import { type PrismaClient } from '../../src/generated/prisma/client';
import { CERTIFICATE_TYPE } from '../../src/app/certification/certification.service';
import { RULES_VERSION } from '../../src/app/certification/exchange';
import { GatewayPrismaService } from '../../src/app/database/gateway-prisma.service';
import { type SigningKeyRing } from '../../src/app/tokens/signing-keys';
import { SIGNING_KEY_RING } from '../../src/app/tokens/tokens.service';
import { type GatewayUnderTest } from './harness';

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const ucum = (value: number) => ({
  value,
  unit: 'g/L',
  system: 'http://unitsofmeasure.org',
  code: 'g/L',
});

/** An abnormal full blood count (low haemoglobin) from lab RR8, requested by practice A81001. */
export function abnormalReport(nhs: string): DiagnosticReport {
  return {
    resourceType: 'DiagnosticReport',
    identifier: [{ system: 'https://fhir.trellis.nhs.uk/Id/lab-report-id', value: randomUUID() }],
    extension: [
      {
        url: 'https://fhir.trellis.nhs.uk/StructureDefinition/report-requester',
        extension: [
          {
            url: 'organization',
            valueReference: {
              type: 'Organization',
              identifier: { system: ODS, value: 'A81001' },
              extension: [
                {
                  url: 'https://fhir.trellis.nhs.uk/StructureDefinition/region',
                  valueCode: 'north-east',
                },
              ],
            },
          },
          {
            url: 'practitioner',
            valueIdentifier: { system: 'https://fhir.hl7.org.uk/Id/gmc-number', value: '7654321' },
          },
        ],
      },
    ],
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
        valueQuantity: ucum(92),
        interpretation: [
          {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
                code: 'L',
              },
            ],
          },
        ],
        referenceRange: [{ low: ucum(130), high: ucum(170) }],
      },
    ],
    result: [{ reference: '#hb' }],
  };
}

/** Publishes the conformance service's decision for a product version on the compliance topic. */
export async function decisionFor(
  bus: EventBus,
  complianceTopic: string,
  pv: string,
  type: 'Enforced' | 'Restored',
): Promise<void> {
  const finding = {
    productVersionId: pv,
    severity: 'error',
    rate: 0.42,
    requests: 300,
    windowMinutes: 60,
    threshold: 0.2,
    policyVersion: 'conformance-policy-1',
  };
  const value =
    type === 'Enforced'
      ? events.v1.ComplianceEnforced.encode(
          events.v1.ComplianceEnforced.fromPartial({ finding, version: 2 }),
        ).finish()
      : events.v1.ComplianceRestored.encode(
          events.v1.ComplianceRestored.fromPartial({
            productVersionId: pv,
            cause: events.v1.ComplianceRestoreCause.COMPLIANCE_RESTORE_CAUSE_RECOVERED,
            version: 3,
            writesWereRestricted: true,
          }),
        ).finish();
  const publisher = bus.publisher();
  await publisher.connect();
  await publisher.publish([
    {
      topic: complianceTopic,
      key: pv,
      value,
      headers: toCloudEventHeaders({
        id: randomUUID(),
        source: '/trellis/conformance',
        type: `uk.nhs.trellis.conformance.Compliance${type}.v1`,
        time: new Date().toISOString(),
        subject: pv,
      }),
    },
  ]);
  await publisher.disconnect();
}

export const GP_SCOPES = 'system/Patient.cruds system/DiagnosticReport.rus system/TestReport.crs';
export const EPR_SCOPES =
  'system/Patient.cruds system/Schedule.crs system/Slot.crs system/Appointment.crus system/TestReport.crs';
export const LAB_SCOPES =
  'system/DiagnosticReport.crus system/Observation.rs system/Patient.r system/TestReport.crs';

export type Role = 'gp-system' | 'hospital-epr' | 'lab-lims';
export const ROLE_SETUP: Record<
  Role,
  { scopes: string; ods: string; prisma: 'gp_system' | 'hospital_epr' | 'lab_lims' }
> = {
  'gp-system': { scopes: GP_SCOPES, ods: 'A81001', prisma: 'gp_system' },
  'hospital-epr': { scopes: EPR_SCOPES, ods: 'RR8', prisma: 'hospital_epr' },
  'lab-lims': { scopes: LAB_SCOPES, ods: 'RR8', prisma: 'lab_lims' },
};

/** The TestReports of a $finish-session Bundle. */
export const reportsOf = (b: Bundle) =>
  (b.entry ?? []).flatMap((e) => (e.resource?.resourceType === 'TestReport' ? [e.resource] : []));
/** `<TestScript id>: <assertion>` of every failed assert. */
export const failedAssertions = (reports: TestReport[]) =>
  reports.flatMap((r) =>
    (r.test?.[0]?.action ?? [])
      .filter((a) => a.assert?.result === 'fail')
      .map((a) => `${r.testScript.reference!.slice(11)}: ${a.assert!.message!.split(' ')[0]!}`),
  );

/**
 * An active gp-system certificate for a product version, signed with the gateway's key ring, as
 * a passed conformance session would leave it (for specs about what happens to it afterwards).
 */
export async function seedCertificate(
  gw: GatewayUnderTest,
  productVersionId: string,
): Promise<string> {
  const ring = gw.handle.app.get<SigningKeyRing>(SIGNING_KEY_RING);
  const prisma = gw.handle.app.get<PrismaClient>(GatewayPrismaService);
  const id = randomUUID();
  const [product, version] = productVersionId.split('@') as [string, string];
  const issued = new Date();
  const expires = new Date(issued.getTime() + 365 * 86_400_000);
  const jwt = await new SignJWT({
    product,
    version,
    product_version: productVersionId,
    role: 'gp-system',
  })
    .setProtectedHeader({ alg: ring.current.alg, kid: ring.current.kid, typ: CERTIFICATE_TYPE })
    .setIssuer(gw.baseUrl)
    .setSubject(productVersionId)
    .setJti(id)
    .setIssuedAt(Math.floor(issued.getTime() / 1000))
    .setExpirationTime(Math.floor(expires.getTime() / 1000))
    .sign(ring.current.privateKey);
  await prisma.conformanceCertificate.create({
    data: {
      id,
      productVersionId,
      role: 'gp-system',
      rulesVersion: RULES_VERSION,
      supplier: `${product} Ltd`,
      product,
      version,
      sessionId: randomUUID(),
      testReportIds: [],
      jwt,
      status: 'active',
      issuedAt: issued,
      expiresAt: expires,
    },
  });
  return id;
}

/** The register status of a certificate (GET /fhir/VerificationResult/<id>, public). */
export async function registerStatusOf(fhirBase: string, id: string): Promise<string | undefined> {
  const v = (await (
    await fetch(`${fhirBase}/VerificationResult/${id}`)
  ).json()) as VerificationResult;
  return v.extension?.[0]?.extension?.find((e) => e.url === 'status')?.valueCode;
}
