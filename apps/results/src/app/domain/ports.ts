/** Who is calling, as the domain needs it (structurally satisfied by @trellis/auth's Caller). */
export interface Actor {
  systemId: string;
  odsCode: string;
  region: string;
  userId?: string;
  /** A citizen's own NHS number (patient token): they see everything of their own record. */
  patient?: string;
}

export { CLOCK, systemClock, type Clock } from '@trellis/platform';
