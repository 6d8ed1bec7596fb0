import { FieldViolations } from '@trellis/service-kit';

import { ReferralsError } from './referrals.errors';

export { CODE, IDEMPOTENCY_KEY, ODS_CODE, pageSize, REGION_CODE, UUID } from '@trellis/service-kit';

/** Request validation that fails as a ReferralsError with every field problem at once. */
export class Violations extends FieldViolations {
  constructor() {
    super((list) => ReferralsError.invalid(list));
  }
}
