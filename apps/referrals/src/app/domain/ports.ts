/** Who is calling, as the domain needs it (structurally satisfied by @trellis/auth's Caller). */
export interface Actor {
  systemId: string;
  odsCode: string;
  region: string;
  userId?: string;
  /** A citizen's patient token: their NHS number (no organisation). */
  patient?: string;
}

/** Time source; the RTT clock arithmetic reads it; integration tests move it (never the wall clock). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const CLOCK = Symbol('referrals.clock');
