import { APPOINTMENTS_ERRORS } from './appointments';
import { AUDIT_ERRORS } from './audit';
import type { ErrorCatalogue } from './catalogue';
import { CONFORMANCE_SCORECARD_ERRORS } from './conformance';
import { GATEWAY_SYSTEMS_ERRORS } from './gateway';
import { IDENTITY_ERRORS, RECORDS_ERRORS } from './identity';
import { NOTIFICATIONS_ERRORS } from './notifications';
import { REFERRALS_ERRORS } from './referrals';
import { RESULTS_ERRORS } from './results';

export type { ErrorCatalogue, ErrorCodeEntry, ErrorCodeTable } from './catalogue';
export * from './shared';
export {
  APPOINTMENTS_ERRORS,
  AUDIT_ERRORS,
  CONFORMANCE_SCORECARD_ERRORS,
  GATEWAY_SYSTEMS_ERRORS,
  IDENTITY_ERRORS,
  NOTIFICATIONS_ERRORS,
  RECORDS_ERRORS,
  REFERRALS_ERRORS,
  RESULTS_ERRORS,
};

/** Every catalogue declared here, in the order docs/errors.md lists them. */
export const ERROR_CATALOGUES: readonly ErrorCatalogue[] = [
  IDENTITY_ERRORS,
  RECORDS_ERRORS,
  APPOINTMENTS_ERRORS,
  REFERRALS_ERRORS,
  RESULTS_ERRORS,
  NOTIFICATIONS_ERRORS,
  AUDIT_ERRORS,
  GATEWAY_SYSTEMS_ERRORS,
  CONFORMANCE_SCORECARD_ERRORS,
];
