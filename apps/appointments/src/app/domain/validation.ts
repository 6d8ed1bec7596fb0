import { FieldViolations } from '@trellis/service-kit';

import { AppointmentsError } from './appointments.errors';

export { CODE, IDEMPOTENCY_KEY, ODS_CODE, pageSize, REGION_CODE, UUID } from '@trellis/service-kit';

/** Request validation that fails as a AppointmentsError with every field problem at once. */
export class Violations extends FieldViolations {
  constructor() {
    super((list) => AppointmentsError.invalid(list));
  }
}
