import { AppointmentsError, AppointmentsErrorCode } from './appointments.errors';

/** FHIR Appointment.status values Trellis uses. */
export type AppointmentState = 'booked' | 'arrived' | 'fulfilled' | 'cancelled' | 'noshow';

export type AppointmentAction = 'arrive' | 'fulfil' | 'cancel' | 'no-show' | 'reschedule';

interface Transition {
  from: readonly AppointmentState[];
  to: AppointmentState;
}

/**
 * The whole state machine (GP Connect Appointment Management / FHIR Appointment):
 *   booked --arrive--> arrived --fulfil--> fulfilled
 *   booked --cancel--> cancelled            (frees the slot)
 *   booked --no-show--> noshow              (only once the slot has started)
 *   booked --reschedule--> booked           (moves to another slot)
 * fulfilled, cancelled and noshow are terminal.
 */
export const TRANSITIONS: Readonly<Record<AppointmentAction, Transition>> = {
  arrive: { from: ['booked'], to: 'arrived' },
  fulfil: { from: ['arrived'], to: 'fulfilled' },
  cancel: { from: ['booked'], to: 'cancelled' },
  'no-show': { from: ['booked'], to: 'noshow' },
  reschedule: { from: ['booked'], to: 'booked' },
};

export const TERMINAL_STATES: readonly AppointmentState[] = ['fulfilled', 'cancelled', 'noshow'];

export function canApply(current: AppointmentState, action: AppointmentAction): boolean {
  return TRANSITIONS[action].from.includes(current);
}

/** The next state, or ILLEGAL_TRANSITION naming the current state and what would be allowed. */
export function applyTransition(
  current: AppointmentState,
  action: AppointmentAction,
): AppointmentState {
  const t = TRANSITIONS[action];
  if (!t.from.includes(current)) {
    throw new AppointmentsError(
      AppointmentsErrorCode.IllegalTransition,
      `Cannot ${action} an appointment whose status is '${current}' (allowed from: ${t.from.join(', ')})`,
      { currentState: current, action, allowedFrom: t.from.join(',') },
    );
  }
  return t.to;
}

/**
 * Arrival window: a patient is recorded as arrived from 2 hours before the slot starts until 2
 * hours after it ends (early arrivals, overrunning clinics); outside it the arrival is refused.
 */
export const ARRIVAL_WINDOW_MS = 2 * 60 * 60 * 1000;

/**
 * Time rules on top of the state machine. `now` comes from the injected clock.
 * - arrival only within ARRIVAL_WINDOW_MS of the slot (before its start, after its end);
 * - no-show only once the slot has started;
 * - cancel and reschedule only before the slot starts (afterwards it is arrived or no-show).
 */
export function assertTiming(
  action: AppointmentAction,
  start: Date,
  now: Date,
  end: Date = start,
): void {
  if (action === 'arrive') assertArrivalWindow(start, end, now);
  if (action === 'no-show' && now.getTime() < start.getTime()) {
    throw new AppointmentsError(
      AppointmentsErrorCode.TooEarly,
      `Cannot mark a no-show before the appointment starts (${start.toISOString()})`,
      { start: start.toISOString() },
    );
  }
  if ((action === 'cancel' || action === 'reschedule') && now.getTime() >= start.getTime()) {
    throw new AppointmentsError(
      AppointmentsErrorCode.SlotInPast,
      `Cannot ${action} an appointment that has already started (${start.toISOString()}); mark it arrived or no-show`,
      { start: start.toISOString() },
    );
  }
}

function assertArrivalWindow(start: Date, end: Date, now: Date): void {
  const opens = new Date(start.getTime() - ARRIVAL_WINDOW_MS);
  const closes = new Date(end.getTime() + ARRIVAL_WINDOW_MS);
  const window = { start: start.toISOString(), end: end.toISOString() };
  if (now.getTime() < opens.getTime()) {
    throw new AppointmentsError(
      AppointmentsErrorCode.TooEarly,
      `Cannot mark an arrival before ${opens.toISOString()} (2 hours before the appointment starts at ${window.start})`,
      { ...window, arrivalOpensAt: opens.toISOString() },
      [
        {
          field: 'appointment_id',
          rule: 'arrival.too-early',
          message: `arrival can be recorded from ${opens.toISOString()}`,
        },
      ],
    );
  }
  if (now.getTime() > closes.getTime()) {
    throw new AppointmentsError(
      AppointmentsErrorCode.TooLate,
      `Cannot mark an arrival after ${closes.toISOString()} (2 hours after the appointment ended at ${window.end}); mark it a no-show`,
      { ...window, arrivalClosesAt: closes.toISOString() },
      [
        {
          field: 'appointment_id',
          rule: 'arrival.too-late',
          message: `arrival could be recorded until ${closes.toISOString()}`,
        },
      ],
    );
  }
}
