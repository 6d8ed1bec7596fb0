// Step 2: the GP registers a patient over FHIR: a likely duplicate is refused, then the new
// patient is created.
import { randomUUID } from 'node:crypto';

import { GP_ODS, type JourneyContext, type Parties } from '../context';
import { fhir } from '../fhir';
import { compact } from '../log';

export interface Registered {
  /** Four digits that make this run's names, dates and slot times its own. */
  tag: string;
  existingNhsNumber: string;
  duplicateStatus: number;
  duplicateCandidates: string[];
  nhsNumber: string;
}

export async function registerPatients(
  { cfg, log }: JourneyContext,
  { gpToken }: Parties,
): Promise<Registered> {
  log.step(
    'The GP registers a patient over FHIR: a likely duplicate is refused, then the new patient is created',
  );
  const tag = randomUUID().replace(/\D/g, '').slice(0, 4).padEnd(4, '7');
  const surname = (base: string) =>
    `${base}${String.fromCharCode(97 + (Number(tag[0]) % 26))}${['ley', 'son', 'ham', 'well', 'by'][Number(tag[1]) % 5]}`;
  const existingResource = {
    resourceType: 'Patient',
    name: [{ use: 'official', family: surname('Thorn'), given: ['Edith'] }],
    gender: 'female',
    birthDate: `19${40 + (Number(tag.slice(0, 2)) % 50)}-0${1 + (Number(tag[2]) % 9)}-1${Number(tag[3]) % 9}`,
    address: [
      { use: 'home', line: ['12 Quayside'], city: 'Newcastle upon Tyne', postalCode: 'NE1 3DX' },
    ],
    generalPractitioner: [
      { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: GP_ODS } },
    ],
  };
  const existing = await fhir(cfg.gatewayUrl, gpToken, 'POST', 'Patient', existingResource);
  if (existing.status !== 201)
    throw new Error(
      `setup: registering the existing patient answered ${existing.status} ${compact(existing.body)}`,
    );
  const existingNhsNumber = String(existing.body['id']);
  log.note(
    `(already on the register: ${existingResource.name[0]!.given[0]} ${existingResource.name[0]!.family}, NHS ${existingNhsNumber})`,
  );
  log.sent(
    'POST /fhir/Patient — the receptionist types the same person in again',
    existingResource,
  );
  const dup = await fhir(cfg.gatewayUrl, gpToken, 'POST', 'Patient', existingResource);
  const dupIssues =
    (dup.body['issue'] as
      Array<{ code?: string; diagnostics?: string; details?: { text?: string } }> | undefined) ??
    [];
  const duplicateCandidates = dupIssues
    .map((i) => /Patient\/(\d{10})/.exec(`${i.diagnostics ?? ''} ${i.details?.text ?? ''}`)?.[1])
    .filter((x): x is string => !!x);
  log.received(`${dup.status} OperationOutcome`, dupIssues);
  const newResource = {
    resourceType: 'Patient',
    name: [{ use: 'official', family: surname('Armstrong'), given: ['Callum', 'James'] }],
    gender: 'male',
    birthDate: `19${50 + (Number(tag.slice(1, 3)) % 40)}-1${Number(tag[0]) % 3}-2${Number(tag[3]) % 8}`,
    address: [
      {
        use: 'home',
        line: ['7 Grainger Street'],
        city: 'Newcastle upon Tyne',
        postalCode: 'NE1 5JE',
      },
    ],
    telecom: [{ system: 'phone', value: '07700 900123', use: 'mobile' }],
    generalPractitioner: [
      { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: GP_ODS } },
    ],
  };
  log.sent('POST /fhir/Patient — the real new patient', newResource);
  const created = await fhir(cfg.gatewayUrl, gpToken, 'POST', 'Patient', newResource);
  if (created.status !== 201)
    throw new Error(
      `registering the new patient answered ${created.status} ${compact(created.body)}`,
    );
  const nhsNumber = String(created.body['id']);
  log.received(`201 Created Patient/${nhsNumber}`, {
    id: created.body['id'],
    meta: created.body['meta'],
    identifier: created.body['identifier'],
  });
  return {
    tag,
    existingNhsNumber,
    duplicateStatus: dup.status,
    duplicateCandidates,
    nhsNumber,
  };
}
