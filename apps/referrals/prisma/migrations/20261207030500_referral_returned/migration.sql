-- Return to referrer (issue 21): the provider returns a referral with a reason.
ALTER TYPE "referral_status" ADD VALUE IF NOT EXISTS 'returned';
ALTER TABLE "referrals" ADD COLUMN "return_reason" TEXT;
