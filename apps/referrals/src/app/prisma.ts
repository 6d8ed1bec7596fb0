import { Prisma, PrismaClient } from '../generated/prisma/client';

export { Prisma, PrismaClient };
export type {
  Referral as ReferralRow,
  ReferralAttachment as AttachmentRow,
  ReferralTransition as TransitionRow,
  ReferralVersion as VersionRow,
} from '../generated/prisma/client';
export type { ReferralPriority, ReferralStatus } from '../generated/prisma/enums';

export const PRISMA = Symbol('referrals.prisma');
