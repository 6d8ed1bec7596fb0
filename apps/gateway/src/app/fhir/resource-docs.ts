import {
  REFERRAL_ATTACHMENT_EXTENSION,
  REFERRAL_CONVERTED_TO_EXTENSION,
  REFERRAL_STATUS_REASON_EXTENSION,
  RTT_CLOCK_EXTENSION,
} from '@trellis/fhir';

/**
 * What a resource carries beyond base R4 (Trellis extensions), for the CapabilityStatement's
 * resource documentation and the OpenAPI schema descriptions; docs/fhir.md has the full text.
 */
export const RESOURCE_DOCS: Readonly<Record<string, string>> = {
  ServiceRequest: [
    `Extension ${RTT_CLOCK_EXTENSION} (read-only, computed by the referrals platform): the referral-to-treatment clock —`,
    'start (dateTime), status (running | stopped), stop (dateTime), stopReason (first-definitive-treatment |',
    'decision-not-to-treat | referral-closed), daysWaited and weeksWaited (integer, whole UTC calendar days),',
    'breachDate (date: the first day a pathway still waiting breaches 18 weeks, day 127), breached18Weeks (boolean),',
    'and for two-week-wait referrals twoWeekWaitBreachDate (date, day 15 without a first appointment) and',
    'breachedTwoWeekWait (boolean); firstAppointment (dateTime) once booked.',
    `Extension ${REFERRAL_STATUS_REASON_EXTENSION} (valueString): why the referral is rejected, returned or cancelled, or the advice given.`,
    `Extension ${REFERRAL_CONVERTED_TO_EXTENSION} (valueReference): the referral an advice-and-guidance request was converted into ($convert);`,
    'the new referral names the original in basedOn. meta.tag (https://fhir.trellis.nhs.uk/CodeSystem/referral-status) is the',
    'platform status: sent, accepted, booked, advice_given, rejected, returned, completed, cancelled.',
    'Extensions are ignored on update (they are the platform’s, not the client’s).',
    'supportingInfo: on create, each reference to a contained Binary (#id: contentType + base64 data, display = title)',
    `is stored as an attachment (at most 10, each at most FHIR_MAX_ATTACHMENT_BYTES = the platform's limit, 1 MiB by default: this route accepts a body of that attachment's base64 plus FHIR_MAX_BODY_BYTES, a larger attachment is 413 before anything is stored; an optional ${REFERRAL_ATTACHMENT_EXTENSION}`,
    'sha256 sub-extension is checked); on read, one reference per attachment to Binary/{id} with the extension',
    'giving contentType, size and the stored SHA-256 (hex).',
  ].join(' '),
  DocumentReference: [
    'A record-locator pointer (England NRL model), served by identity: subject by NHS number',
    '(identifier https://fhir.nhs.uk/Id/nhs-number), type = one http://snomed.info/sct coding from the record-type value set',
    '(libs/codes record-types.ts: discharge summary, care plan, mental health crisis plan, …), custodian = the',
    'registering organisation by ODS code (never another; omitted is fine), exactly one content.attachment with an https url',
    'and contentType (size, SHA-1 hash, title, creation optional). masterIdentifier is the idempotency key per custodian',
    '(a repeat answers 200 with the pointer, other content 409). A new version is a POST with relatesTo',
    '[{code: replaces, target: DocumentReference/<id>}] (custodian only; the old pointer becomes superseded); PUT is not served.',
    'DELETE retires a pointer (status entered-in-error; reads then answer 410). If-Match W/"<version>" on the superseding POST',
    '(the replaced pointer’s version) and on DELETE: 412 when stale. Every version is kept: vread and _history.',
    'A restricted patient’s pointers are seen only with',
    'trellis/restricted.read or by their custodian.',
  ].join(' '),
  Binary: [
    'A referral attachment (ServiceRequest.supportingInfo), read with the referral’s rules (scope system/ServiceRequest.r;',
    'its two organisations and its patient; anyone else 404), audited with the referral and the patient; securityContext',
    'names the ServiceRequest and the Digest header carries the stored SHA-256. FHIR JSON only (no raw content negotiation).',
  ].join(' '),
};
