/** The identity domain model (transport-free: the gRPC controller maps to and from proto). */

export const GENDERS = ['male', 'female', 'other', 'unknown'] as const;
export type Gender = (typeof GENDERS)[number];

export const CONFIDENTIALITIES = ['normal', 'restricted'] as const;
export type Confidentiality = (typeof CONFIDENTIALITIES)[number];

export const NAME_USES = ['usual', 'official', 'nickname', 'maiden', 'old'] as const;
export type NameUse = (typeof NAME_USES)[number];

export const ADDRESS_USES = ['home', 'work', 'temp', 'old'] as const;
export type AddressUse = (typeof ADDRESS_USES)[number];

export const TELECOM_SYSTEMS = ['phone', 'email', 'sms'] as const;
export type TelecomSystem = (typeof TELECOM_SYSTEMS)[number];

export const TELECOM_USES = ['home', 'work', 'mobile', 'temp', 'old'] as const;
export type TelecomUse = (typeof TELECOM_USES)[number];

/** FHIR dates "YYYY-MM-DD"; an absent end means current. */
export interface Period {
  start?: string;
  end?: string;
}

export interface HumanName {
  use: NameUse;
  family: string;
  given: string[];
  prefix: string[];
  period?: Period;
}

export interface Address {
  use: AddressUse;
  lines: string[];
  city: string;
  district: string;
  postcode: string;
  period?: Period;
}

export interface ContactPoint {
  system: TelecomSystem;
  value: string;
  use: TelecomUse;
  period?: Period;
}

export interface GpRegistration {
  odsCode: string;
  region: string;
  period: Period;
}

/** What a caller supplies to register a patient (validated). */
export interface PatientDetails {
  names: HumanName[];
  gender: Gender;
  birthDate: string;
  addresses: Address[];
  telecom: ContactPoint[];
  gpOdsCode?: string;
  gpStart?: string;
  confidentiality: Confidentiality;
}

/** The stored record. */
export interface PatientRecord {
  nhsNumber: string;
  names: HumanName[];
  gender: Gender;
  birthDate: string;
  deceasedAt?: Date;
  addresses: Address[];
  telecom: ContactPoint[];
  gp?: GpRegistration;
  gpHistory: GpRegistration[];
  confidentiality: Confidentiality;
  version: number;
  lastUpdated: Date;
  supersededNhsNumbers: string[];
  mergedInto?: string;
}

/** A record as one caller may see it. */
export interface PatientView extends PatientRecord {
  withheld: boolean;
  withheldFields: string[];
}

export const UPDATABLE_FIELDS = [
  'names',
  'gender',
  'birth_date',
  'addresses',
  'telecom',
  'gp',
  'confidentiality',
] as const;
export type UpdatableField = (typeof UPDATABLE_FIELDS)[number];

/** Field-level changes (only present keys change; lists are replaced whole). */
export interface PatientChanges {
  names?: HumanName[];
  gender?: Gender;
  birthDate?: string;
  addresses?: Address[];
  telecom?: ContactPoint[];
  /** odsCode '' deregisters */
  gp?: { odsCode: string; start?: string };
  confidentiality?: Confidentiality;
  /** Records the death with the other changes (MarkDeceased's rules); never clears one. */
  deceasedAt?: Date;
}

export type VersionChange = 'registered' | 'updated' | 'deceased' | 'merged-into' | 'merged-from';

export interface PatientVersionEntry {
  nhsNumber: string;
  version: number;
  change: VersionChange;
  changedFields: string[];
  changedBy: string;
  recordedAt: Date;
  snapshot: PatientRecord;
}

export type TraceMode = 'exact' | 'fuzzy';

export interface TraceQuery {
  family?: string;
  given?: string;
  gender?: Gender;
  birthDate?: string;
  birthDateFrom?: string;
  birthDateTo?: string;
  postcode?: string;
  gpOdsCode?: string;
  mode: TraceMode;
  maxResults: number;
  minScore: number;
  /** Drop hits scoring more than this below the best hit (1 = keep all above minScore). */
  dominanceMargin?: number;
  /**
   * The caller may not read restricted records: their postcode and practice neither score nor
   * appear in the match reasons (a score would confirm the withheld address or GP).
   */
  maskRestricted?: boolean;
}

export interface TraceCandidate {
  nhsNumber: string;
  score: number;
  matchedOn: string[];
}

export interface TraceResult {
  candidates: TraceCandidate[];
  totalAboveThreshold: number;
}

/** Who is calling (from the auth lib's Caller). */
export interface Actor {
  systemId: string;
  odsCode: string;
  region: string;
  scopes: readonly string[];
  userId?: string;
  /** A citizen's own NHS number (patient token): they see their own record in full. */
  patient?: string;
}

/** Withholds restricted fields unless the caller may read them; the withholding is flagged. */
export function viewFor(record: PatientRecord, mayReadRestricted: boolean): PatientView {
  if (record.confidentiality !== 'restricted' || mayReadRestricted) {
    return { ...record, withheld: false, withheldFields: [] };
  }
  return {
    ...record,
    addresses: [],
    telecom: [],
    gp: undefined,
    gpHistory: [],
    withheld: true,
    withheldFields: ['addresses', 'telecom', 'gp', 'gp_history'],
  };
}
