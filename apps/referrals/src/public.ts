// What tools outside the service (benchmarks under tools/bench) may use of referrals: its one public
// entry point, so nothing reaches into apps/referrals/src by a relative path.

export type { Actor, Clock } from './app/domain/ports';
export { PrismaClient } from './app/prisma';
export { ReferralsRepository } from './app/referrals/referrals.repository';
export { ReferralsService } from './app/referrals/referrals.service';
export type { Priority } from './app/referrals/referrals.service';
export { OutboxReferralEventSink } from './events/outbox-referral-event-sink';
