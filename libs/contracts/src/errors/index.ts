import { APPOINTMENTS_ERRORS } from './appointments';
import type { ErrorCatalogue } from './catalogue';
import { GATEWAY_SYSTEMS_ERRORS } from './gateway';
import { NOTIFICATIONS_ERRORS } from './notifications';
import { REFERRALS_ERRORS } from './referrals';
import { RESULTS_ERRORS } from './results';

export type { ErrorCatalogue, ErrorCodeEntry, ErrorCodeTable } from './catalogue';
export * from './shared';
export {
  APPOINTMENTS_ERRORS,
  GATEWAY_SYSTEMS_ERRORS,
  NOTIFICATIONS_ERRORS,
  REFERRALS_ERRORS,
  RESULTS_ERRORS,
};

/** Every catalogue declared here, in the order docs/errors.md lists them. */
export const ERROR_CATALOGUES: readonly ErrorCatalogue[] = [
  APPOINTMENTS_ERRORS,
  REFERRALS_ERRORS,
  RESULTS_ERRORS,
  NOTIFICATIONS_ERRORS,
  GATEWAY_SYSTEMS_ERRORS,
];
