-- The version snapshot trigger writes to referral_versions in the schema of the table that fired
-- it (TG_TABLE_SCHEMA), so a change made by a session whose search_path does not name the
-- referrals schema (maintenance SQL with qualified names) is versioned too instead of failing.
CREATE OR REPLACE FUNCTION "referrals_version_snapshot"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format(
    'INSERT INTO %I."referral_versions" ("referral_id", "version", "change", "snapshot", "recorded_at")
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT ("referral_id", "version") DO UPDATE
       SET "snapshot" = EXCLUDED."snapshot", "recorded_at" = EXCLUDED."recorded_at"',
    TG_TABLE_SCHEMA)
  USING
    NEW."id",
    NEW."version",
    CASE
      WHEN TG_OP = 'INSERT' THEN 'created'
      WHEN OLD."status" IS DISTINCT FROM NEW."status" THEN NEW."status"::text
      ELSE 'updated'
    END,
    to_jsonb(NEW) - 'request_hash',
    coalesce(NEW."updated_at", now());
  RETURN NULL;
END;
$$;
