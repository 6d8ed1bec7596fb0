/** Identifier and code systems Trellis requires. */
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const ODS_ORGANISATION_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const SNOMED_CT_SYSTEM = 'http://snomed.info/sct';
export const LOINC_SYSTEM = 'http://loinc.org';
export const UCUM_SYSTEM = 'http://unitsofmeasure.org';
/** HL7 link type for a merged-away record (PDS answers a superseded NHS number with it). */
export const REPLACED_BY = 'replaced-by';
