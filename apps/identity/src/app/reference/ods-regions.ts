/**
 * Identity's view of the organisation reference table (libs/service-kit reference/organisations):
 * GP registrations must name a GP practice, and their region comes from the table.
 */
import {
  DEMO_PRACTICES,
  organisationByOdsCode,
  REGIONS,
  type Organisation,
  type Region,
} from '@trellis/service-kit';

export { DEMO_PRACTICES, REGIONS };
export type { Region };
export type Practice = Organisation;

export function practiceByOdsCode(odsCode: string): Practice | undefined {
  const org = organisationByOdsCode(odsCode);
  return org?.kind === 'gp-practice' ? org : undefined;
}

export function regionOf(odsCode: string | null | undefined): Region | undefined {
  return odsCode ? practiceByOdsCode(odsCode)?.region : undefined;
}
