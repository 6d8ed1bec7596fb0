/**
 * The platform's eight region codes, as in the shipped reference table
 * (libs/service-kit/src/reference/organisations.ts `REGIONS`; regions.spec.ts keeps the two equal).
 * A copy because that library is server code the browser bundle must not pull in.
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
