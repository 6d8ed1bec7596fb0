import type { Person } from './pairs';

/**
 * Hard negatives: people who resemble indexed ones but are NOT them (different birth date and/or
 * given name, the twin of someone, a namesake elsewhere). A hit for any of these is a false positive.
 */
export const NEGATIVES: Array<Omit<Person, 'id'>> = [
  {
    family: 'Fairweather',
    given: 'Rachel',
    birthDate: '1969-07-30',
    gender: 'F',
    postcode: 'LS6 2AB',
  },
  {
    family: 'Thompson',
    given: 'Stephen',
    birthDate: '1991-05-17',
    gender: 'M',
    postcode: 'TR1 1AA',
  },
  { family: 'Patel', given: 'Rajesh', birthDate: '1990-04-18', gender: 'M', postcode: 'HA0 1AA' },
  {
    family: 'Williams',
    given: 'Sarah',
    birthDate: '1975-12-03',
    gender: 'F',
    postcode: 'CF14 3UZ',
  },
  { family: 'Chen', given: 'Mei', birthDate: '1960-03-14', gender: 'F', postcode: 'M1 1AE' },
  { family: 'Murphy', given: 'Aoife', birthDate: '2002-02-02', gender: 'F', postcode: 'BT1 5GS' },
  { family: 'Singh', given: 'Gurpreet', birthDate: '1966-06-20', gender: 'M', postcode: 'WV1 1DE' },
  { family: 'Ali', given: 'Hassan', birthDate: '1987-09-01', gender: 'M', postcode: 'OL1 1HD' },
  { family: 'Evans', given: 'Dylan', birthDate: '1953-10-29', gender: 'M', postcode: 'LL57 2DG' },
  { family: 'Smith', given: 'John', birthDate: '1970-01-01', gender: 'M', postcode: 'SW1A 2AA' },
  { family: 'Hughes', given: 'Owen', birthDate: '2019-01-21', gender: 'M', postcode: 'SY23 1DE' },
  { family: 'Kaur', given: 'Jasleen', birthDate: '1978-11-23', gender: 'F', postcode: 'UB1 1QP' },
  {
    family: 'Robinson',
    given: 'Claire',
    birthDate: '1982-12-12',
    gender: 'F',
    postcode: 'DE1 3AF',
  },
  { family: 'Cooper', given: 'Harold', birthDate: '1936-08-15', gender: 'M', postcode: 'SN1 1LF' },
  { family: 'Greenwood', given: 'Lucy', birthDate: '2009-03-03', gender: 'F', postcode: 'HG1 1DH' },
  { family: 'Jackson', given: 'Marcus', birthDate: '1990-06-16', gender: 'M', postcode: 'B6 7EU' },
  { family: 'Wright', given: 'Emily', birthDate: '1980-01-13', gender: 'F', postcode: 'NG1 5FS' },
  { family: 'Campbell', given: 'Hamish', birthDate: '1962-12-18', gender: 'M', postcode: 'G1 1XQ' },
  { family: 'Walker', given: 'Thomas', birthDate: '1989-06-01', gender: 'M', postcode: 'YO1 7HH' },
  { family: 'Adeyemi', given: 'Folake', birthDate: '1968-04-09', gender: 'F', postcode: 'SE5 8RX' },
];

/** Twins and namesakes registered alongside PEOPLE (override) to make precision meaningful. */
export const LOOKALIKES: Array<Omit<Person, 'id'>> = [
  {
    family: 'Fairweather',
    given: 'Richard',
    birthDate: '1972-03-11',
    gender: 'M',
    postcode: 'LS6 2AB',
  },
  { family: 'Walker', given: 'Rachel', birthDate: '1989-06-10', gender: 'F', postcode: 'YO1 7HH' },
  { family: 'Robinson', given: 'David', birthDate: '2008-04-01', gender: 'M', postcode: 'DE1 3AF' },
  { family: 'Turner', given: 'Amelia', birthDate: '2012-09-11', gender: 'F', postcode: 'PO1 2AX' },
  {
    family: 'Edwards',
    given: 'Joshua',
    birthDate: '2011-08-06',
    gender: 'M',
    postcode: 'NP20 1DW',
  },
  {
    family: 'Harrison',
    given: 'Christine',
    birthDate: '1977-01-15',
    gender: 'F',
    postcode: 'S1 2HE',
  },
  {
    family: 'Smith',
    given: 'Katherine',
    birthDate: '1985-07-22',
    gender: 'F',
    postcode: 'BS1 4DJ',
  },
  {
    family: 'Thompson',
    given: 'Stephanie',
    birthDate: '1964-09-02',
    gender: 'F',
    postcode: 'NE1 4ST',
  },
];
