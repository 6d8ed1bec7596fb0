/**
 * Organisation types a schedule can allow to book, derived from the shape of the ODS code
 * (NHS Organisation Data Service code formats). The caller's token carries an ODS code but no
 * type, so the platform classifies the code; a configured map can override it per code.
 */
export type OrganisationType =
  'gp-practice' | 'nhs-trust' | 'nhs-trust-site' | 'pharmacy' | 'icb' | 'other';

export const ORGANISATION_TYPES: readonly OrganisationType[] = [
  'gp-practice',
  'nhs-trust',
  'nhs-trust-site',
  'pharmacy',
  'icb',
  'other',
];

export function isOrganisationType(value: string): value is OrganisationType {
  return (ORGANISATION_TYPES as readonly string[]).includes(value);
}

export function classifyOdsCode(
  odsCode: string,
  overrides: Readonly<Record<string, OrganisationType>> = {},
): OrganisationType {
  const override = overrides[odsCode];
  if (override) return override;
  if (/^[A-HJ-NP-Y]\d{5}$/.test(odsCode)) return 'gp-practice'; // e.g. A81001
  if (/^R[A-Z0-9]{2}$/.test(odsCode)) return 'nhs-trust'; // e.g. RTH
  if (/^R[A-Z0-9]{2}[A-Z0-9]{2}$/.test(odsCode)) return 'nhs-trust-site'; // e.g. RTH01
  if (/^F[A-Z0-9]{4}$/.test(odsCode)) return 'pharmacy'; // e.g. FA123
  if (/^(Q[A-Z0-9]{2}|\d{2}[A-Z])$/.test(odsCode)) return 'icb'; // e.g. QHM, 00L
  return 'other';
}

export interface BookableBy {
  ownerOdsCode: string;
  odsCodes: readonly string[];
  orgTypes: readonly string[];
}

/**
 * Who may book a schedule's slots: the owner always; otherwise, when both lists are empty anyone,
 * else an organisation named in `odsCodes` or whose type is in `orgTypes`.
 */
export function mayBook(
  schedule: BookableBy,
  callerOdsCode: string,
  callerType: OrganisationType,
): boolean {
  if (callerOdsCode === schedule.ownerOdsCode) return true;
  if (schedule.odsCodes.length === 0 && schedule.orgTypes.length === 0) return true;
  return schedule.odsCodes.includes(callerOdsCode) || schedule.orgTypes.includes(callerType);
}
