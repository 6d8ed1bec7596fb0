/** Identifier and code systems Trellis requires. */
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const ODS_ORGANISATION_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const SNOMED_CT_SYSTEM = 'http://snomed.info/sct';
export const LOINC_SYSTEM = 'http://loinc.org';
export const UCUM_SYSTEM = 'http://unitsofmeasure.org';
/** HL7 link type for a merged-away record (PDS answers a superseded NHS number with it). */
export const REPLACED_BY = 'replaced-by';
export const SDS_USER_SYSTEM = 'https://fhir.nhs.uk/Id/sds-user-id';
export const GMC_SYSTEM = 'https://fhir.hl7.org.uk/Id/gmc-number';
/** Client-chosen referral request id (the platform's idempotency key). */
export const REFERRAL_REQUEST_ID_SYSTEM = 'https://fhir.trellis.nhs.uk/Id/referral-request';
/** Region code of an organisation reference (extension valueCode, e.g. north-east). */
export const REGION_EXTENSION = 'https://fhir.trellis.nhs.uk/StructureDefinition/region';
/** Client-chosen schedule request id (the appointments platform's idempotency key for a schedule). */
export const SCHEDULE_REQUEST_ID_SYSTEM = 'https://fhir.trellis.nhs.uk/Id/schedule-request';
/** Client-chosen slot request id (the appointments platform's idempotency key for a slot). */
export const SLOT_REQUEST_ID_SYSTEM = 'https://fhir.trellis.nhs.uk/Id/slot-request';
/** The referral-to-treatment clock of a ServiceRequest (complex extension; docs/fhir.md). */
export const RTT_CLOCK_EXTENSION = 'https://fhir.trellis.nhs.uk/StructureDefinition/rtt-clock';
/** Why a referral is in its current status (rejected, returned, cancelled) or the advice given. */
export const REFERRAL_STATUS_REASON_EXTENSION =
  'https://fhir.trellis.nhs.uk/StructureDefinition/referral-status-reason';
/** The referral an advice-and-guidance request was converted into ($convert). */
export const REFERRAL_CONVERTED_TO_EXTENSION =
  'https://fhir.trellis.nhs.uk/StructureDefinition/referral-converted-to';
/** A referral attachment's metadata on its ServiceRequest.supportingInfo reference (contentType, size, sha256). */
export const REFERRAL_ATTACHMENT_EXTENSION =
  'https://fhir.trellis.nhs.uk/StructureDefinition/referral-attachment';
