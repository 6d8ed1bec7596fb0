import type { AuditEvent, AuditEventAgent, AuditEventEntity } from '@medplum/fhirtypes';
import { audit, fromTimestamp } from '@trellis/contracts';

import { NHS_NUMBER_SYSTEM, ODS_ORGANISATION_SYSTEM } from '../systems';

/** The connected system an access was made through (agent who.identifier). */
export const CONNECTED_SYSTEM_ID_SYSTEM = 'https://fhir.trellis.nhs.uk/Id/connected-system';
/** The Trellis interaction (REST route or gRPC method) of an access (AuditEvent.subtype). */
export const TRELLIS_INTERACTION_SYSTEM = 'https://fhir.trellis.nhs.uk/CodeSystem/interaction';
/** IHE BALP profiles (https://profiles.ihe.net/ITI/BALP/): IHE.BasicAudit.[Patient]Read, ... */
export const BALP_PROFILE_BASE =
  'https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const BALP_ENTITY_TYPE = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';
const PURPOSE = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

const ACTION_WORDS: Record<string, string> = {
  C: 'created',
  R: 'read',
  U: 'updated',
  D: 'deleted',
  E: 'used',
};
const RESOURCE_WORDS: Record<string, string> = {
  Patient: 'your patient record',
  AuditEvent: 'your access log',
  Appointment: 'an appointment',
  ServiceRequest: 'a referral',
  DiagnosticReport: 'a test report',
  Observation: 'a test result',
};
const PURPOSE_DISPLAY: Record<string, string> = {
  TREAT: 'treatment',
  HOPERAT: 'healthcare operations',
  PATRQT: 'patient requested',
};
const OUTCOME_WORDS: Record<string, string> = {
  '0': '',
  '4': ' (refused)',
  '8': ' (failed)',
  '12': ' (failed)',
};

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Who did what, when, in plain words — the narrative a citizen reads. */
export function accessInPlainTerms(e: audit.v1.AccessEvent): string {
  const when = e.recordedAt
    ? fromTimestamp(e.recordedAt).toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
    : 'at an unknown time';
  const who =
    e.purposeOfUse === 'PATRQT'
      ? 'You'
      : `${e.systemId || 'An unidentified system'}${e.odsCode ? ` of organisation ${e.odsCode}` : ''}${e.userId ? ` (user ${e.userId})` : ''}`;
  const what = `${RESOURCE_WORDS[e.resourceType] ?? (e.resourceType ? `a ${e.resourceType} record` : 'your record')}${e.resourceId && !['Patient', 'AuditEvent'].includes(e.resourceType) ? ` (${e.resourceId})` : ''}`;
  return `${who} ${ACTION_WORDS[e.action] ?? 'accessed'} ${what} on ${when}${OUTCOME_WORDS[e.outcome] ?? ''}.`;
}

/**
 * A stored access as an IHE BALP-shaped FHIR R4 AuditEvent: type rest, the Trellis interaction as
 * subtype, action, outcome, purpose of use; agents = the connected system (requestor unless a user
 * was named), its organisation, the end user when given; source = the Trellis service that served
 * it; entities = the patient, the resource touched and the trace id (BALP XrequestId).
 */
export function auditEventToFhir(e: audit.v1.AccessEvent): AuditEvent {
  const patientQuery = e.action === 'R' && /\bsearch|Search|\/fhir\/[A-Za-z]+$/.test(e.interaction);
  const agents: AuditEventAgent[] = [];
  // the patient's own request (a citizen's patient token): the patient is the requestor
  const citizen = e.purposeOfUse === 'PATRQT';
  agents.push({
    type: { coding: [{ system: DCM, code: '110150', display: 'Application' }] },
    who: {
      identifier: { system: CONNECTED_SYSTEM_ID_SYSTEM, value: e.systemId || 'unknown' },
      display: e.systemId || 'unidentified caller',
    },
    requestor: !e.userId && !citizen,
  });
  if (e.odsCode)
    agents.push({
      type: { coding: [{ system: PARTICIPATION, code: 'PROV', display: 'healthcare provider' }] },
      who: {
        identifier: { system: ODS_ORGANISATION_SYSTEM, value: e.odsCode },
        display: e.region ? `${e.odsCode} (${e.region})` : e.odsCode,
      },
      requestor: false,
    });
  if (citizen && e.patientNhsNumber)
    agents.push({
      type: { coding: [{ system: PARTICIPATION, code: 'IRCP', display: 'information recipient' }] },
      who: { reference: `Patient/${e.patientNhsNumber}`, display: 'the patient' },
      requestor: true,
    });
  else if (e.userId)
    agents.push({
      type: { coding: [{ system: PARTICIPATION, code: 'IRCP', display: 'information recipient' }] },
      who: { identifier: { value: e.userId }, display: e.userId },
      requestor: true,
    });
  const entities: AuditEventEntity[] = [];
  if (e.patientNhsNumber)
    entities.push({
      what: {
        reference: `Patient/${e.patientNhsNumber}`,
        identifier: { system: NHS_NUMBER_SYSTEM, value: e.patientNhsNumber },
      },
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
    });
  if (e.resourceType && e.resourceId && !(e.resourceType === 'Patient' && e.patientNhsNumber))
    entities.push({
      what: { reference: `${e.resourceType}/${e.resourceId}` },
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
    });
  if (e.traceId)
    entities.push({
      what: { identifier: { value: e.traceId } },
      type: { system: BALP_ENTITY_TYPE, code: 'XrequestId', display: 'X-Request-Id' },
    });
  const purpose = e.purposeOfUse || 'TREAT';
  const kind = { C: 'Create', R: patientQuery ? 'Query' : 'Read', U: 'Update', D: 'Delete' }[
    e.action
  ];
  const profile = kind && `${BALP_PROFILE_BASE}${e.patientNhsNumber ? 'Patient' : ''}${kind}`;
  return {
    resourceType: 'AuditEvent',
    id: e.auditId,
    ...(profile ? { meta: { profile: [profile] } } : {}),
    text: {
      status: 'generated',
      div: `<div xmlns="http://www.w3.org/1999/xhtml">${escapeXml(accessInPlainTerms(e))}</div>`,
    },
    type: {
      system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
      code: 'rest',
      display: 'RESTful Operation',
    },
    ...(e.interaction
      ? { subtype: [{ system: TRELLIS_INTERACTION_SYSTEM, code: e.interaction }] }
      : {}),
    action: e.action as AuditEvent['action'],
    recorded: e.recordedAt ? fromTimestamp(e.recordedAt).toISOString() : new Date(0).toISOString(),
    outcome: e.outcome as AuditEvent['outcome'],
    ...(e.outcomeDescription ? { outcomeDesc: e.outcomeDescription } : {}),
    purposeOfEvent: [
      {
        coding: [{ system: PURPOSE, code: purpose, display: PURPOSE_DISPLAY[purpose] ?? purpose }],
      },
    ],
    agent: agents,
    source: {
      observer: { display: `trellis ${e.sourceService || 'platform'}` },
      type: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/security-source-type',
          code: '4',
          display: 'Application Server',
        },
      ],
    },
    ...(entities.length ? { entity: entities } : {}),
    ...(e.flaggedAt
      ? {
          extension: [
            {
              url: 'https://fhir.trellis.nhs.uk/StructureDefinition/access-flagged',
              valueDateTime: fromTimestamp(e.flaggedAt).toISOString(),
            },
          ],
        }
      : {}),
  };
}
