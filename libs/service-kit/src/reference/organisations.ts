/**
 * The platform's organisation reference table (a synthetic stand-in for the ODS reference data):
 * which ODS codes exist, what kind of organisation each is and the region it belongs to. One
 * place for every service: identity checks GP registrations against it, referrals, appointments
 * and results refuse unknown organisations and derive the region of their events from it rather
 * than from a caller's claim. Region codes are the platform's eight (see domain.md).
 */
export const REGIONS = [
  'north-east',
  'north-west',
  'yorkshire',
  'midlands',
  'east',
  'london',
  'south-east',
  'south-west',
] as const;
export type Region = (typeof REGIONS)[number];

export type OrganisationKind =
  | 'gp-practice'
  | 'nhs-trust'
  | 'nhs-trust-site'
  | 'icb'
  | 'national'
  | 'supplier'
  | 'regional-authority';

export interface Organisation {
  odsCode: string;
  name: string;
  region: Region;
  kind: OrganisationKind;
}

/** ODS code syntax: the one definition (@trellis/codes) every service and the FHIR rules use. */
export { ODS_CODE } from '@trellis/codes';

const practice = (odsCode: string, name: string, region: Region): Organisation => ({
  odsCode,
  name,
  region,
  kind: 'gp-practice',
});

/**
 * Demo GP practices (letter + 5 digits, synthetic): identity's synthetic population is registered
 * with these, so the list and its order are part of the seed's determinism.
 */
export const DEMO_PRACTICES: readonly Organisation[] = [
  practice('A81001', 'Tees Valley Medical Centre', 'north-east'),
  practice('A82001', 'Tyneside Family Practice', 'north-east'),
  practice('A83001', 'Wear Valley Surgery', 'north-east'),
  practice('P81001', 'Lancaster Road Surgery', 'north-west'),
  practice('P82001', 'Mersey Health Centre', 'north-west'),
  practice('P83001', 'Salford Quays Practice', 'north-west'),
  practice('B81001', 'Humber Bridge Surgery', 'yorkshire'),
  practice('B82001', 'Leeds Central Medical Practice', 'yorkshire'),
  practice('B83001', 'Sheffield Hillsborough Surgery', 'yorkshire'),
  practice('M81001', 'Birmingham Bull Ring Practice', 'midlands'),
  practice('M82001', 'Coventry Spires Surgery', 'midlands'),
  practice('C81001', 'Derby Riverside Medical Centre', 'midlands'),
  practice('D81001', 'Cambridge Fen Surgery', 'east'),
  practice('D82001', 'Norwich Cathedral Practice', 'east'),
  practice('F81001', 'Colchester Castle Surgery', 'east'),
  practice('E81001', 'Camden High Street Practice', 'london'),
  practice('E82001', 'Hackney Marshes Health Centre', 'london'),
  practice('F84001', 'Lewisham Park Surgery', 'london'),
  practice('G81001', 'Brighton Seafront Surgery', 'south-east'),
  practice('H81001', 'Guildford Downs Practice', 'south-east'),
  practice('K81001', 'Reading Abbey Surgery', 'south-east'),
  practice('L81001', 'Bristol Harbourside Practice', 'south-west'),
  practice('L82001', 'Exeter Quay Surgery', 'south-west'),
  practice('L83001', 'Plymouth Hoe Medical Centre', 'south-west'),
];

const trust = (odsCode: string, name: string, region: Region): Organisation => ({
  odsCode,
  name,
  region,
  kind: odsCode.length > 3 ? 'nhs-trust-site' : 'nhs-trust',
});

/** Other organisations the demo, the seeds and the tests refer to (synthetic names). */
const OTHER_ORGANISATIONS: readonly Organisation[] = [
  // the gateway seed's demo systems (apps/gateway/src/seed.ts)
  practice('Y12345', 'Riverside Medical Practice', 'north-east'),
  trust('R1K01', 'Thameside Hospital', 'london'),
  trust('R1K02', 'Thameside Pathology', 'london'),
  { odsCode: 'X26', name: 'Trellis national operations', region: 'london', kind: 'national' },
  // providers and labs of the seeds and tests
  trust('RTH', 'Oxford demo hospitals', 'south-east'),
  trust('RTH08', 'Oxford demo hospitals: Horton site', 'south-east'),
  trust('RTH09', 'Oxford demo hospitals: John Radcliffe site', 'south-east'),
  trust('RTD', 'Newcastle demo hospitals', 'north-east'),
  trust('RJ1', 'Thames demo hospitals', 'london'),
  trust('RX1', 'Nottingham demo hospitals', 'midlands'),
  trust('RR8', 'Leeds demo hospitals', 'yorkshire'),
  trust('RCB', 'York demo hospitals', 'yorkshire'),
  trust('RXA', 'Northern demo partnership', 'north-east'),
  trust('RGT01', 'Cambridge demo hospital', 'east'),
  practice('B82002', 'Leeds North Medical Practice', 'yorkshire'),
  practice('B82005', 'Leeds West Surgery', 'yorkshire'),
  { odsCode: 'QHM', name: 'North East demo ICB', region: 'north-east', kind: 'icb' },
  // the console's demo supplier integration team (a supplier's own ODS code, as NHS suppliers have)
  {
    odsCode: 'YGM01',
    name: 'Northgate Clinical Systems (demo supplier)',
    region: 'north-east',
    kind: 'supplier',
  },
];

/**
 * One regional digital authority per region (issue 18): the organisations whose connected
 * systems may hold region-bound scopes (`region/<code>/…`), for their own region only.
 */
export const REGIONAL_AUTHORITIES: readonly Organisation[] = REGIONS.map((region, i) => ({
  odsCode: `YRA0${i + 1}`,
  name: `${region.replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => `${sep ? ' ' : ''}${c.toUpperCase()}`)} regional digital authority`,
  region,
  kind: 'regional-authority',
}));

/** The regional digital authority of a region. */
export function regionalAuthorityOf(region: string): Organisation | undefined {
  return REGIONAL_AUTHORITIES.find((o) => o.region === region);
}

export const ORGANISATIONS: readonly Organisation[] = [
  ...DEMO_PRACTICES,
  ...OTHER_ORGANISATIONS,
  ...REGIONAL_AUTHORITIES,
];

const BY_CODE: ReadonlyMap<string, Organisation> = new Map(
  ORGANISATIONS.map((o) => [o.odsCode, o]),
);

/** The organisation with this ODS code (case and surrounding space ignored), if it exists. */
export function organisationByOdsCode(
  odsCode: string | null | undefined,
): Organisation | undefined {
  return odsCode ? BY_CODE.get(odsCode.trim().toUpperCase()) : undefined;
}

/** The region of the organisation with this ODS code, if it exists. */
export function regionOfOrganisation(odsCode: string | null | undefined): Region | undefined {
  return organisationByOdsCode(odsCode)?.region;
}

export function isRegion(value: string): value is Region {
  return (REGIONS as readonly string[]).includes(value);
}
