/** Time source; integration tests move it to exercise no-show, ageing and "future" rules. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The injection token of a service's clock. */
export const CLOCK = Symbol('trellis.clock');
