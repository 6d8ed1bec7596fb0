import type { VerificationResult } from '@medplum/fhirtypes';

import { type CertificateRow } from './certification.repository';

export const CERTIFICATE_EXTENSION =
  'https://fhir.trellis.nhs.uk/StructureDefinition/conformance-certificate';

/** Register status of a certificate at `now` (an active one past its expiry reads `expired`). */
export function certificateStatus(c: CertificateRow, now: Date): string {
  return c.status === 'active' && c.expiresAt <= now ? 'expired' : c.status;
}

/** FHIR VerificationResult.status for a certificate's register status. */
function verificationStatus(status: string): VerificationResult['status'] {
  switch (status) {
    case 'active':
      return 'validated';
    case 'suspended':
    case 'expired':
    case 'superseded':
      return 'req-revalid';
    default:
      return 'val-fail';
  }
}

/**
 * A certificate in the public register as a FHIR VerificationResult: the target is the product
 * version (Group/<id>, as on the scorecards), the signed JWT is the validator's attestation
 * signature, and the certificate's facts and register status are in the Trellis extension.
 */
export function certificateToVerificationResult(
  c: CertificateRow,
  base: string,
  now: Date,
): VerificationResult {
  const status = certificateStatus(c, now);
  return {
    resourceType: 'VerificationResult',
    id: c.id,
    extension: [
      {
        url: CERTIFICATE_EXTENSION,
        extension: [
          { url: 'status', valueCode: status },
          ...(c.statusReason ? [{ url: 'statusReason', valueString: c.statusReason }] : []),
          { url: 'supplier', valueString: c.supplier },
          { url: 'product', valueString: c.product },
          { url: 'version', valueString: c.version },
          { url: 'role', valueCode: c.role },
          { url: 'rulesVersion', valueString: c.rulesVersion },
          { url: 'issued', valueDateTime: c.issuedAt.toISOString() },
          { url: 'expires', valueDateTime: c.expiresAt.toISOString() },
          ...c.testReportIds.map((r) => ({
            url: 'testReport',
            valueReference: { reference: `TestReport/${r}` },
          })),
        ],
      },
    ],
    target: [
      {
        reference: `Group/${c.productVersionId}`,
        display: `${c.supplier} ${c.product} ${c.version} (${c.role})`,
      },
    ],
    targetLocation: ['Group.characteristic'],
    need: { text: `conformance certificate for the ${c.role} role` },
    status: verificationStatus(status),
    statusDate: c.statusChangedAt.toISOString(),
    validationType: { text: 'conformance session in the Trellis sandbox (TestScripts)' },
    validationProcess: [{ text: `Trellis conformance kit ${c.rulesVersion}` }],
    lastPerformed: c.issuedAt.toISOString(),
    validator: [
      {
        organization: { display: 'Trellis national operator' },
        identityCertificate: `${base}/.well-known/jwks.json`,
        attestationSignature: {
          type: [
            {
              system: 'urn:iso-astm:E1762-95:2013',
              code: '1.2.840.10065.1.12.1.5',
              display: 'Verification Signature',
            },
          ],
          when: c.issuedAt.toISOString(),
          who: { display: 'Trellis national operator' },
          sigFormat: 'application/jwt',
          data: Buffer.from(c.jwt, 'utf8').toString('base64'),
        },
      },
    ],
  };
}
