-- CreateTable
CREATE TABLE "referral_versions" (
    "referral_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "change" TEXT NOT NULL,
    "snapshot" JSONB NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "referral_versions_pkey" PRIMARY KEY ("referral_id","version")
);

-- AddForeignKey
ALTER TABLE "referral_versions" ADD CONSTRAINT "referral_versions_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referrals"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Versions are written by the database in the same transaction as every change to a referral
-- (API calls, event reactions, patient merges): the row after the change, as JSON.
CREATE FUNCTION "referrals_version_snapshot"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "referral_versions" ("referral_id", "version", "change", "snapshot", "recorded_at")
  VALUES (
    NEW."id",
    NEW."version",
    CASE
      WHEN TG_OP = 'INSERT' THEN 'created'
      WHEN OLD."status" IS DISTINCT FROM NEW."status" THEN NEW."status"::text
      ELSE 'updated'
    END,
    to_jsonb(NEW) - 'request_hash',
    coalesce(NEW."updated_at", now())
  )
  ON CONFLICT ("referral_id", "version") DO UPDATE
    SET "snapshot" = EXCLUDED."snapshot", "recorded_at" = EXCLUDED."recorded_at";
  RETURN NULL;
END;
$$;

CREATE TRIGGER "referrals_version_snapshot"
  AFTER INSERT OR UPDATE ON "referrals"
  FOR EACH ROW EXECUTE FUNCTION "referrals_version_snapshot"();

-- Existing referrals: their current version is the first stored one.
INSERT INTO "referral_versions" ("referral_id", "version", "change", "snapshot", "recorded_at")
SELECT "id", "version", CASE WHEN "version" = 1 THEN 'created' ELSE 'updated' END,
       to_jsonb("referrals".*) - 'request_hash', "updated_at"
  FROM "referrals";
