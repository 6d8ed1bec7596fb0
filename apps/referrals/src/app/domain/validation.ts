import { FieldViolations } from '@trellis/platform';

import { ReferralsError } from './referrals.errors';

export { CODE, IDEMPOTENCY_KEY, ODS_CODE, pageSize, REGION_CODE, UUID } from '@trellis/platform';

/** Request validation that fails as a ReferralsError with every field problem at once. */
export class Violations extends FieldViolations {
  constructor() {
    super((list) => ReferralsError.invalid(list));
  }
}
