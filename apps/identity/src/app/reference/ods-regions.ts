/**
 * Reference table: demo GP practices (ODS code) → region. Region codes are the platform's eight
 * (see domain.md). Codes follow the GP practice format (letter + 5 digits) but are synthetic.
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

export interface Practice {
  odsCode: string;
  name: string;
  region: Region;
}

export const DEMO_PRACTICES: readonly Practice[] = [
  { odsCode: 'A81001', name: 'Tees Valley Medical Centre', region: 'north-east' },
  { odsCode: 'A82001', name: 'Tyneside Family Practice', region: 'north-east' },
  { odsCode: 'A83001', name: 'Wear Valley Surgery', region: 'north-east' },
  { odsCode: 'P81001', name: 'Lancaster Road Surgery', region: 'north-west' },
  { odsCode: 'P82001', name: 'Mersey Health Centre', region: 'north-west' },
  { odsCode: 'P83001', name: 'Salford Quays Practice', region: 'north-west' },
  { odsCode: 'B81001', name: 'Humber Bridge Surgery', region: 'yorkshire' },
  { odsCode: 'B82001', name: 'Leeds Central Medical Practice', region: 'yorkshire' },
  { odsCode: 'B83001', name: 'Sheffield Hillsborough Surgery', region: 'yorkshire' },
  { odsCode: 'M81001', name: 'Birmingham Bull Ring Practice', region: 'midlands' },
  { odsCode: 'M82001', name: 'Coventry Spires Surgery', region: 'midlands' },
  { odsCode: 'C81001', name: 'Derby Riverside Medical Centre', region: 'midlands' },
  { odsCode: 'D81001', name: 'Cambridge Fen Surgery', region: 'east' },
  { odsCode: 'D82001', name: 'Norwich Cathedral Practice', region: 'east' },
  { odsCode: 'F81001', name: 'Colchester Castle Surgery', region: 'east' },
  { odsCode: 'E81001', name: 'Camden High Street Practice', region: 'london' },
  { odsCode: 'E82001', name: 'Hackney Marshes Health Centre', region: 'london' },
  { odsCode: 'F84001', name: 'Lewisham Park Surgery', region: 'london' },
  { odsCode: 'G81001', name: 'Brighton Seafront Surgery', region: 'south-east' },
  { odsCode: 'H81001', name: 'Guildford Downs Practice', region: 'south-east' },
  { odsCode: 'K81001', name: 'Reading Abbey Surgery', region: 'south-east' },
  { odsCode: 'L81001', name: 'Bristol Harbourside Practice', region: 'south-west' },
  { odsCode: 'L82001', name: 'Exeter Quay Surgery', region: 'south-west' },
  { odsCode: 'L83001', name: 'Plymouth Hoe Medical Centre', region: 'south-west' },
];

const BY_CODE: ReadonlyMap<string, Practice> = new Map(DEMO_PRACTICES.map((p) => [p.odsCode, p]));

export function practiceByOdsCode(odsCode: string): Practice | undefined {
  return BY_CODE.get(odsCode.trim().toUpperCase());
}

export function regionOf(odsCode: string | null | undefined): Region | undefined {
  return odsCode ? practiceByOdsCode(odsCode)?.region : undefined;
}
