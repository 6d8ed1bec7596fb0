/**
 * Hand-made matching test set: 50 people, each with hand-written variant queries of the kinds a
 * trace meets in practice (typos, nicknames, swapped day/month, moved house, double-barrelled and
 * phonetic names, partial postcodes), plus hard negatives that must NOT match anyone.
 * A pair = (person, variant query). Every variant lists only what the query changes.
 */
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
  kind: 'typo' | 'nickname' | 'swapped' | 'moved' | 'double-barrelled' | 'phonetic' | 'partial-postcode' | 'historic' | 'combined';
  family?: string;
  given?: string;
  birthDate?: string;
  postcode?: string | null;
  gender?: 'M' | 'F' | null;
}

export const PEOPLE: Array<Person & { variants: Variant[] }> = [
  { id: 'p01', family: 'Fairweather', given: 'Robert', birthDate: '1972-03-11', gender: 'M', postcode: 'LS6 2AB', variants: [
    { kind: 'nickname', given: 'Bob' }, { kind: 'typo', family: 'Fairwether' }, { kind: 'swapped', birthDate: '1972-11-03' }, { kind: 'moved', postcode: 'BD1 1HY' }, { kind: 'combined', given: 'Rob', birthDate: '1972-11-03' } ] },
  { id: 'p02', family: 'Smith-Jones', given: 'Katherine', birthDate: '1985-07-22', gender: 'F', postcode: 'CF10 1EP', variants: [
    { kind: 'double-barrelled', family: 'Jones' }, { kind: 'double-barrelled', family: 'Smith' }, { kind: 'double-barrelled', family: 'Smith Jones' }, { kind: 'nickname', given: 'Kate' }, { kind: 'typo', given: 'Katherin' } ] },
  { id: 'p03', family: 'Thompson', given: 'Stephen', birthDate: '1964-02-09', gender: 'M', postcode: 'NE1 4ST', variants: [
    { kind: 'phonetic', family: 'Thomson' }, { kind: 'phonetic', given: 'Steven' }, { kind: 'swapped', birthDate: '1964-09-02' }, { kind: 'partial-postcode', postcode: 'NE1' }, { kind: 'typo', family: 'Thompsen' } ] },
  { id: 'p04', family: 'Okafor', given: 'Chiamaka', birthDate: '1993-10-05', gender: 'F', postcode: 'SE15 5DQ', variants: [
    { kind: 'typo', given: 'Chiamka' }, { kind: 'typo', family: 'Okafar' }, { kind: 'swapped', birthDate: '1993-05-10' }, { kind: 'moved', postcode: 'E8 3PN' } ] },
  { id: 'p05', family: 'MacDonald', given: 'Alistair', birthDate: '1958-12-01', gender: 'M', postcode: 'EH1 1YZ', variants: [
    { kind: 'phonetic', family: 'McDonald' }, { kind: 'phonetic', given: 'Alasdair' }, { kind: 'swapped', birthDate: '1958-01-12' }, { kind: 'typo', family: 'MacDonnald' } ] },
  { id: 'p06', family: 'Patel', given: 'Priya', birthDate: '1990-04-18', gender: 'F', postcode: 'LE1 6RP', oldPostcode: 'B1 1BB', variants: [
    { kind: 'historic', postcode: 'B1 1BB' }, { kind: 'typo', given: 'Pryia' }, { kind: 'moved', postcode: 'CV1 5FB' }, { kind: 'partial-postcode', postcode: 'LE1' } ] },
  { id: 'p07', family: 'O\'Brien', given: 'Siobhan', birthDate: '1979-08-30', gender: 'F', postcode: 'L1 8JQ', variants: [
    { kind: 'typo', family: 'OBrien' }, { kind: 'phonetic', family: 'O\'Brian' }, { kind: 'phonetic', given: 'Shivaun' }, { kind: 'moved', postcode: 'M14 5RG' } ] },
  { id: 'p08', family: 'Williams', given: 'William', birthDate: '2001-06-04', gender: 'M', postcode: 'SA1 1NW', variants: [
    { kind: 'nickname', given: 'Bill' }, { kind: 'nickname', given: 'Liam' }, { kind: 'swapped', birthDate: '2001-04-06' }, { kind: 'typo', family: 'Wiliams' } ] },
  { id: 'p09', family: 'Nguyen', given: 'Thi Lan', birthDate: '1987-01-27', gender: 'F', postcode: 'E1 6AN', variants: [
    { kind: 'typo', family: 'Nguyn' }, { kind: 'typo', given: 'Thi' }, { kind: 'moved', postcode: 'N1 9GU' }, { kind: 'partial-postcode', postcode: 'E1' } ] },
  { id: 'p10', family: 'Hughes', given: 'Elizabeth', birthDate: '1945-11-11', gender: 'F', postcode: 'SY23 1DE', oldFamily: 'Pritchard', variants: [
    { kind: 'nickname', given: 'Betty' }, { kind: 'nickname', given: 'Liz' }, { kind: 'historic', family: 'Pritchard' }, { kind: 'phonetic', family: 'Hewes' } ] },
  { id: 'p11', family: 'Kowalski', given: 'Tomasz', birthDate: '1982-09-03', gender: 'M', postcode: 'PE1 1QF', variants: [
    { kind: 'typo', family: 'Kowalsky' }, { kind: 'phonetic', given: 'Thomas' }, { kind: 'swapped', birthDate: '1982-03-09' }, { kind: 'moved', postcode: 'NR1 3JU' } ] },
  { id: 'p12', family: 'Bennett', given: 'Charlotte', birthDate: '2015-02-14', gender: 'F', postcode: 'OX1 2JD', variants: [
    { kind: 'typo', family: 'Bennet' }, { kind: 'nickname', given: 'Lottie' }, { kind: 'typo', given: 'Charlott' }, { kind: 'typo', given: 'Charlote' } ] },
  { id: 'p13', family: 'Ahmed', given: 'Mohammed', birthDate: '1976-05-12', gender: 'M', postcode: 'BD3 9AA', variants: [
    { kind: 'phonetic', given: 'Muhammad' }, { kind: 'phonetic', given: 'Mohamed' }, { kind: 'swapped', birthDate: '1976-12-05' }, { kind: 'moved', postcode: 'HX1 1UJ' } ] },
  { id: 'p14', family: 'Taylor-Wood', given: 'James', birthDate: '1969-03-21', gender: 'M', postcode: 'GU1 3RH', variants: [
    { kind: 'double-barrelled', family: 'Taylor' }, { kind: 'double-barrelled', family: 'Wood' }, { kind: 'nickname', given: 'Jim' }, { kind: 'double-barrelled', family: 'Wood-Taylor' } ] },
  { id: 'p15', family: 'Murphy', given: 'Sean', birthDate: '1998-07-07', gender: 'M', postcode: 'BT1 5GS', variants: [
    { kind: 'phonetic', given: 'Shaun' }, { kind: 'phonetic', given: 'Shawn' }, { kind: 'typo', family: 'Murphey' }, { kind: 'moved', postcode: 'BT7 1NN' } ] },
  { id: 'p16', family: 'Richardson', given: 'Margaret', birthDate: '1938-10-02', gender: 'F', postcode: 'TR1 2HE', variants: [
    { kind: 'nickname', given: 'Peggy' }, { kind: 'nickname', given: 'Maggie' }, { kind: 'swapped', birthDate: '1938-02-10' }, { kind: 'typo', family: 'Richardsen' } ] },
  { id: 'p17', family: 'Chen', given: 'Wei', birthDate: '1995-12-25', gender: 'M', postcode: 'M1 1AE', variants: [
    { kind: 'moved', postcode: 'M20 2RN' }, { kind: 'partial-postcode', postcode: 'M1' }, { kind: 'typo', family: 'Chan' }, { kind: 'combined', postcode: null, gender: null } ] },
  { id: 'p18', family: 'Evans', given: 'Rhiannon', birthDate: '1983-03-04', gender: 'F', postcode: 'LL57 2DG', oldFamily: 'Parry', variants: [
    { kind: 'historic', family: 'Parry' }, { kind: 'typo', given: 'Rhianon' }, { kind: 'swapped', birthDate: '1983-04-03' }, { kind: 'phonetic', family: 'Evens' } ] },
  { id: 'p19', family: 'Lewandowska', given: 'Agnieszka', birthDate: '1991-08-09', gender: 'F', postcode: 'SL1 1EL', variants: [
    { kind: 'typo', family: 'Lewandowski' }, { kind: 'typo', given: 'Agnieska' }, { kind: 'swapped', birthDate: '1991-09-08' }, { kind: 'moved', postcode: 'RG1 1JX' } ] },
  { id: 'p20', family: 'Harrison', given: 'Christopher', birthDate: '1977-01-15', gender: 'M', postcode: 'S1 2HE', variants: [
    { kind: 'nickname', given: 'Chris' }, { kind: 'typo', family: 'Harisson' }, { kind: 'typo', given: 'Christoper' }, { kind: 'combined', given: 'Chris', postcode: 'S10 2TN' } ] },
  { id: 'p21', family: 'Adeyemi', given: 'Oluwaseun', birthDate: '2003-11-02', gender: 'M', postcode: 'SE5 8RX', variants: [
    { kind: 'typo', given: 'Oluwasegun' }, { kind: 'typo', family: 'Adeyemmi' }, { kind: 'swapped', birthDate: '2003-02-11' }, { kind: 'partial-postcode', postcode: 'SE5' } ] },
  { id: 'p22', family: 'Walker', given: 'Rebecca', birthDate: '1989-06-10', gender: 'F', postcode: 'YO1 7HH', variants: [
    { kind: 'nickname', given: 'Becky' }, { kind: 'swapped', birthDate: '1989-10-06' }, { kind: 'typo', family: 'Walkr' }, { kind: 'moved', postcode: 'HU1 2AA' } ] },
  { id: 'p23', family: 'Fitzgerald', given: 'Niamh', birthDate: '1996-02-28', gender: 'F', postcode: 'NW1 2DB', variants: [
    { kind: 'typo', family: 'Fitzgerrald' }, { kind: 'phonetic', given: 'Neve' }, { kind: 'moved', postcode: 'W2 1JB' }, { kind: 'combined', family: 'FitzGerald', postcode: null } ] },
  { id: 'p24', family: 'Singh', given: 'Harpreet', birthDate: '1971-09-19', gender: 'M', postcode: 'WV1 1DE', variants: [
    { kind: 'typo', given: 'Harpret' }, { kind: 'moved', postcode: 'B21 9RY' }, { kind: 'partial-postcode', postcode: 'WV1' }, { kind: 'combined', given: 'Harpreet', gender: null, postcode: null } ] },
  { id: 'p25', family: 'Robinson', given: 'Daniel', birthDate: '2008-04-01', gender: 'M', postcode: 'DE1 3AF', variants: [
    { kind: 'nickname', given: 'Danny' }, { kind: 'swapped', birthDate: '2008-01-04' }, { kind: 'typo', family: 'Robinsen' }, { kind: 'nickname', given: 'Dan' } ] },
  { id: 'p26', family: 'Campbell', given: 'Fiona', birthDate: '1962-12-08', gender: 'F', postcode: 'G1 1XQ', oldFamily: 'Stewart', variants: [
    { kind: 'historic', family: 'Stewart' }, { kind: 'phonetic', family: 'Cambell' }, { kind: 'swapped', birthDate: '1962-08-12' }, { kind: 'moved', postcode: 'G12 8QQ' } ] },
  { id: 'p27', family: 'Ali', given: 'Ayesha', birthDate: '1999-03-30', gender: 'F', postcode: 'OL1 1HD', variants: [
    { kind: 'phonetic', given: 'Aisha' }, { kind: 'typo', given: 'Ayesa' }, { kind: 'moved', postcode: 'M8 8EP' }, { kind: 'partial-postcode', postcode: 'OL1' } ] },
  { id: 'p28', family: 'Greenwood', given: 'Jonathan', birthDate: '1955-05-05', gender: 'M', postcode: 'HG1 1DH', variants: [
    { kind: 'nickname', given: 'Jonny' }, { kind: 'typo', family: 'Grenwood' }, { kind: 'typo', given: 'Johnathan' }, { kind: 'moved', postcode: 'LS1 4AP' } ] },
  { id: 'p29', family: 'Rossi', given: 'Giulia', birthDate: '1986-10-11', gender: 'F', postcode: 'EC1A 1BB', variants: [
    { kind: 'phonetic', given: 'Julia' }, { kind: 'typo', family: 'Rosi' }, { kind: 'swapped', birthDate: '1986-11-10' }, { kind: 'moved', postcode: 'N7 6PA' } ] },
  { id: 'p30', family: 'Edwards', given: 'Samuel', birthDate: '2011-08-06', gender: 'M', postcode: 'NP20 1DW', variants: [
    { kind: 'nickname', given: 'Sam' }, { kind: 'swapped', birthDate: '2011-06-08' }, { kind: 'typo', family: 'Edwads' }, { kind: 'partial-postcode', postcode: 'NP20' } ] },
  { id: 'p31', family: 'Mensah', given: 'Kwame', birthDate: '1974-07-12', gender: 'M', postcode: 'N17 0AP', variants: [
    { kind: 'typo', family: 'Mensa' }, { kind: 'typo', given: 'Kwami' }, { kind: 'swapped', birthDate: '1974-12-07' }, { kind: 'moved', postcode: 'E17 4JF' } ] },
  { id: 'p32', family: 'Clarke', given: 'Susan', birthDate: '1950-09-09', gender: 'F', postcode: 'IP1 1UA', variants: [
    { kind: 'phonetic', family: 'Clark' }, { kind: 'nickname', given: 'Sue' }, { kind: 'moved', postcode: 'CO1 1XD' }, { kind: 'combined', family: 'Clark', given: 'Sue' } ] },
  { id: 'p33', family: 'Bhattacharya', given: 'Ananya', birthDate: '1997-05-03', gender: 'F', postcode: 'HA1 1BA', variants: [
    { kind: 'typo', family: 'Bhattacharyya' }, { kind: 'typo', family: 'Battacharya' }, { kind: 'swapped', birthDate: '1997-03-05' }, { kind: 'typo', given: 'Ananiya' } ] },
  { id: 'p34', family: 'Wright', given: 'Matthew', birthDate: '1980-01-31', gender: 'M', postcode: 'NG1 5FS', variants: [
    { kind: 'nickname', given: 'Matt' }, { kind: 'phonetic', family: 'Right' }, { kind: 'typo', given: 'Mathew' }, { kind: 'moved', postcode: 'NG7 2RD' } ] },
  { id: 'p35', family: 'Dubois', given: 'Amelie', birthDate: '2005-03-08', gender: 'F', postcode: 'CB2 1TN', variants: [
    { kind: 'typo', family: 'Dubios' }, { kind: 'typo', given: 'Amellie' }, { kind: 'swapped', birthDate: '2005-08-03' }, { kind: 'partial-postcode', postcode: 'CB2' } ] },
  { id: 'p36', family: 'Hall', given: 'Dorothy', birthDate: '1931-04-20', gender: 'F', postcode: 'DH1 3HP', oldFamily: 'Armstrong', variants: [
    { kind: 'nickname', given: 'Dot' }, { kind: 'historic', family: 'Armstrong' }, { kind: 'moved', postcode: 'DH1 5TA' }, { kind: 'typo', given: 'Dorathy' } ] },
  { id: 'p37', family: 'Van der Berg', given: 'Pieter', birthDate: '1968-06-06', gender: 'M', postcode: 'BN1 1UG', variants: [
    { kind: 'double-barrelled', family: 'Vanderberg' }, { kind: 'double-barrelled', family: 'Berg' }, { kind: 'phonetic', given: 'Peter' }, { kind: 'moved', postcode: 'BN3 2WB' } ] },
  { id: 'p38', family: 'Jackson', given: 'Tyrone', birthDate: '1992-11-14', gender: 'M', postcode: 'B6 7EU', variants: [
    { kind: 'typo', family: 'Jakson' }, { kind: 'typo', given: 'Tyron' }, { kind: 'moved', postcode: 'B15 2TT' }, { kind: 'partial-postcode', postcode: 'B6' } ] },
  { id: 'p39', family: 'Morgan', given: 'Gwen', birthDate: '1960-07-01', gender: 'F', postcode: 'CF24 3AA', variants: [
    { kind: 'swapped', birthDate: '1960-01-07' }, { kind: 'typo', family: 'Morgen' }, { kind: 'moved', postcode: 'CF5 1QE' }, { kind: 'combined', birthDate: '1960-01-07', postcode: 'CF5 1QE' } ] },
  { id: 'p40', family: 'Ivanova', given: 'Ekaterina', birthDate: '1984-02-03', gender: 'F', postcode: 'W12 7RJ', variants: [
    { kind: 'phonetic', given: 'Katerina' }, { kind: 'typo', family: 'Ivanowa' }, { kind: 'swapped', birthDate: '1984-03-02' }, { kind: 'moved', postcode: 'SW9 8EQ' } ] },
  { id: 'p41', family: 'Scott', given: 'Alexander', birthDate: '1976-12-12', gender: 'M', postcode: 'AB10 1XG', variants: [
    { kind: 'nickname', given: 'Alex' }, { kind: 'nickname', given: 'Sandy' }, { kind: 'typo', family: 'Scot' }, { kind: 'moved', postcode: 'DD1 4HN' } ] },
  { id: 'p42', family: 'Brown-Okoye', given: 'Grace', birthDate: '2000-10-10', gender: 'F', postcode: 'SE1 7PB', variants: [
    { kind: 'double-barrelled', family: 'Brown' }, { kind: 'double-barrelled', family: 'Okoye' }, { kind: 'typo', given: 'Grase' }, { kind: 'double-barrelled', family: 'Okoye-Brown' } ] },
  { id: 'p43', family: 'Marshall', given: 'Anthony', birthDate: '1947-01-09', gender: 'M', postcode: 'CA1 1QS', variants: [
    { kind: 'nickname', given: 'Tony' }, { kind: 'swapped', birthDate: '1947-09-01' }, { kind: 'typo', family: 'Marshal' }, { kind: 'moved', postcode: 'LA1 1PP' } ] },
  { id: 'p44', family: 'Kaur', given: 'Simran', birthDate: '1994-06-02', gender: 'F', postcode: 'UB1 1QP', variants: [
    { kind: 'typo', given: 'Simren' }, { kind: 'swapped', birthDate: '1994-02-06' }, { kind: 'moved', postcode: 'TW3 1PQ' }, { kind: 'partial-postcode', postcode: 'UB1' } ] },
  { id: 'p45', family: 'Phillips', given: 'Nicholas', birthDate: '1988-08-08', gender: 'M', postcode: 'EX1 1SE', variants: [
    { kind: 'nickname', given: 'Nick' }, { kind: 'phonetic', family: 'Philips' }, { kind: 'typo', given: 'Nicolas' }, { kind: 'moved', postcode: 'PL1 1EA' } ] },
  { id: 'p46', family: 'Said', given: 'Yusuf', birthDate: '1981-04-05', gender: 'M', postcode: 'LU1 2HN', variants: [
    { kind: 'phonetic', given: 'Yousef' }, { kind: 'phonetic', family: 'Saeed' }, { kind: 'swapped', birthDate: '1981-05-04' }, { kind: 'moved', postcode: 'MK9 2HP' } ] },
  { id: 'p47', family: 'Turner', given: 'Abigail', birthDate: '2012-09-11', gender: 'F', postcode: 'PO1 2AX', variants: [
    { kind: 'nickname', given: 'Abby' }, { kind: 'swapped', birthDate: '2012-11-09' }, { kind: 'typo', family: 'Turnor' }, { kind: 'partial-postcode', postcode: 'PO1' } ] },
  { id: 'p48', family: 'Davies', given: 'Gareth', birthDate: '1973-03-17', gender: 'M', postcode: 'SA31 1DR', variants: [
    { kind: 'phonetic', family: 'Davis' }, { kind: 'typo', given: 'Gareht' }, { kind: 'moved', postcode: 'SA1 3SN' }, { kind: 'combined', family: 'Davis', postcode: null } ] },
  { id: 'p49', family: 'Jovanovic', given: 'Milica', birthDate: '1990-11-01', gender: 'F', postcode: 'N4 3HF', variants: [
    { kind: 'typo', family: 'Jovanovich' }, { kind: 'swapped', birthDate: '1990-01-11' }, { kind: 'typo', given: 'Milika' }, { kind: 'moved', postcode: 'N19 5QU' } ] },
  { id: 'p50', family: 'Cooper', given: 'Eleanor', birthDate: '1959-05-25', gender: 'F', postcode: 'SN1 1LF', oldPostcode: 'BA1 1LZ', variants: [
    { kind: 'nickname', given: 'Ellie' }, { kind: 'historic', postcode: 'BA1 1LZ' }, { kind: 'typo', family: 'Coper' }, { kind: 'nickname', given: 'Nell' } ] },
];

/**
 * Hard negatives: people who resemble indexed ones but are NOT them (different birth date and/or
 * given name, the twin of someone, a namesake elsewhere). A hit for any of these is a false positive.
 */
export const NEGATIVES: Array<Omit<Person, 'id'>> = [
  { family: 'Fairweather', given: 'Rachel', birthDate: '1969-07-30', gender: 'F', postcode: 'LS6 2AB' },
  { family: 'Thompson', given: 'Stephen', birthDate: '1991-05-17', gender: 'M', postcode: 'TR1 1AA' },
  { family: 'Patel', given: 'Rajesh', birthDate: '1990-04-18', gender: 'M', postcode: 'HA0 1AA' },
  { family: 'Williams', given: 'Sarah', birthDate: '1975-12-03', gender: 'F', postcode: 'CF14 3UZ' },
  { family: 'Chen', given: 'Mei', birthDate: '1960-03-14', gender: 'F', postcode: 'M1 1AE' },
  { family: 'Murphy', given: 'Aoife', birthDate: '2002-02-02', gender: 'F', postcode: 'BT1 5GS' },
  { family: 'Singh', given: 'Gurpreet', birthDate: '1966-06-20', gender: 'M', postcode: 'WV1 1DE' },
  { family: 'Ali', given: 'Hassan', birthDate: '1987-09-01', gender: 'M', postcode: 'OL1 1HD' },
  { family: 'Evans', given: 'Dylan', birthDate: '1953-10-29', gender: 'M', postcode: 'LL57 2DG' },
  { family: 'Smith', given: 'John', birthDate: '1970-01-01', gender: 'M', postcode: 'SW1A 2AA' },
  { family: 'Hughes', given: 'Owen', birthDate: '2019-01-21', gender: 'M', postcode: 'SY23 1DE' },
  { family: 'Kaur', given: 'Jasleen', birthDate: '1978-11-23', gender: 'F', postcode: 'UB1 1QP' },
  { family: 'Robinson', given: 'Claire', birthDate: '1982-12-12', gender: 'F', postcode: 'DE1 3AF' },
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
  { family: 'Fairweather', given: 'Richard', birthDate: '1972-03-11', gender: 'M', postcode: 'LS6 2AB' },
  { family: 'Walker', given: 'Rachel', birthDate: '1989-06-10', gender: 'F', postcode: 'YO1 7HH' },
  { family: 'Robinson', given: 'David', birthDate: '2008-04-01', gender: 'M', postcode: 'DE1 3AF' },
  { family: 'Turner', given: 'Amelia', birthDate: '2012-09-11', gender: 'F', postcode: 'PO1 2AX' },
  { family: 'Edwards', given: 'Joshua', birthDate: '2011-08-06', gender: 'M', postcode: 'NP20 1DW' },
  { family: 'Harrison', given: 'Christine', birthDate: '1977-01-15', gender: 'F', postcode: 'S1 2HE' },
  { family: 'Smith', given: 'Katherine', birthDate: '1985-07-22', gender: 'F', postcode: 'BS1 4DJ' },
  { family: 'Thompson', given: 'Stephanie', birthDate: '1964-09-02', gender: 'F', postcode: 'NE1 4ST' },
];
