/**
 * Hand-made matching test set: 50 people, each with hand-written variant queries of the kinds a
 * trace meets in practice (typos, nicknames, swapped day/month, moved house, double-barrelled and
 * phonetic names, partial postcodes), plus hard negatives that must NOT match anyone.
 * A pair = (person, variant query). Every variant lists only what the query changes.
 */
import { LOOKALIKES, NEGATIVES } from './negatives';
import { PEOPLE_01_25 } from './people-01-25';
import { PEOPLE_26_50 } from './people-26-50';

export interface Person {
  id: string;
  family: string;
  given: string;
  birthDate: string;
  gender: 'M' | 'F';
  postcode: string;
  /** an earlier home (historic address) */
  oldPostcode?: string;
  /** an earlier family name (historic name, e.g. maiden name) */
  oldFamily?: string;
}

export interface Variant {
  kind:
    | 'typo'
    | 'nickname'
    | 'swapped'
    | 'moved'
    | 'double-barrelled'
    | 'phonetic'
    | 'partial-postcode'
    | 'historic'
    | 'combined';
  family?: string;
  given?: string;
  birthDate?: string;
  postcode?: string | null;
  gender?: 'M' | 'F' | null;
}

export { NEGATIVES, LOOKALIKES };

export const PEOPLE: Array<Person & { variants: Variant[] }> = [...PEOPLE_01_25, ...PEOPLE_26_50];
