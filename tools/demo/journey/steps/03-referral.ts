// Step 3: the GP refers the patient (urgent) to the hospital cardiology service over FHIR.
import { randomUUID } from 'node:crypto';

import { HOSPITAL_SPECIALTY, type JourneyContext, type Parties } from '../context';
import { fhir, fhirReferralStatus } from '../fhir';

export async function sendReferral(
  { cfg, log }: JourneyContext,
  { gpToken, hospitalSys }: Parties,
  nhsNumber: string,
): Promise<{ referralId: string }> {
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
  return { referralId };
}
