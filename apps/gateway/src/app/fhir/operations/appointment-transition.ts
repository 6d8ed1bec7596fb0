import type { Appointment } from '@medplum/fhirtypes';
import type { appointments } from '@trellis/contracts';
import { appointmentToFhir, FhirError } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { forwardContext, sendFhir } from '../fhir.http';
import { headerValue, parseIfMatch, versionHeaders } from '../fhir.support';
import type { OperationContext } from '../platform-fhir.controller';

/** Platform field → FHIRPath of an operation's Parameters. */
const OPERATION_FIELDS: Record<string, string> = {
  new_slot_id: "Parameters.parameter.where(name='slot')",
  reason: "Parameters.parameter.where(name='reason')",
  appointment_id: 'Appointment.id',
};

/**
 * Platform refusals of a state change, in FHIR terms: a state-machine violation is a conflict with
 * the appointment's current state (409, the message names it). A stale If-Match is 412 by
 * @trellis/fhir's outcome mapping.
 */
function stateConflict(err: unknown): unknown {
  if (!(err instanceof FhirError)) return err;
  if (err.issues[0]?.rule === 'platform.illegal-transition')
    return new FhirError(
      409,
      err.issues.map((i) => ({ ...i, code: 'conflict' as const })),
    );
  return err;
}

/**
 * The shared end of the appointment state-change operations ($cancel, $reschedule, $arrived,
 * $fulfil, $no-show): the appointments platform's method at the If-Match version, the changed
 * Appointment answered with its version headers.
 */
export async function appointmentTransition(
  ctx: OperationContext,
  req: Request,
  res: Response,
  method:
    'cancelAppointment' | 'rescheduleAppointment' | 'markArrived' | 'markFulfilled' | 'markNoShow',
  args: Record<string, string>,
): Promise<Appointment> {
  const expected = parseIfMatch(headerValue(req.headers['if-match']));
  let r: { appointment?: appointments.v1.Appointment };
  try {
    r = await ctx.call(
      ctx.platforms.appointments[method],
      { appointmentId: String(req.params['id']), expectedVersion: expected ?? 0, ...args },
      forwardContext(req),
      'Appointment',
      (f) => OPERATION_FIELDS[f],
    );
  } catch (err) {
    throw stateConflict(err);
  }
  const a = appointmentToFhir(r.appointment!);
  return sendFhir(res, 200, a, versionHeaders(a));
}
