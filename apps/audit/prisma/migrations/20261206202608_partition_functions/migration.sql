-- Hand-written: partition maintenance of access_events (monthly RANGE partitions, UTC), called by
-- the audit service at start-up and periodically (src/app/store/partitions.ts). Both functions are
-- serialised per schema by one advisory lock, so replicas can run them at the same time.

-- Creates the partition of the month containing p_at, unless it exists. True when created.
CREATE FUNCTION audit_ensure_month_partition(p_at TIMESTAMPTZ) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
  v_month TIMESTAMP := date_trunc('month', p_at AT TIME ZONE 'UTC');
  v_name TEXT := 'access_events_y' || to_char(v_month, 'YYYY') || 'm' || to_char(v_month, 'MM');
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('trellis.audit.partitions:' || current_schema(), 0));
  IF to_regclass(format('%I.%I', current_schema(), v_name)) IS NOT NULL THEN
    RETURN FALSE;
  END IF;
  EXECUTE format(
    'CREATE TABLE %I.%I PARTITION OF %I.access_events FOR VALUES FROM (%L) TO (%L)',
    current_schema(), v_name, current_schema(),
    (v_month AT TIME ZONE 'UTC')::TEXT, ((v_month + INTERVAL '1 month') AT TIME ZONE 'UTC')::TEXT);
  RETURN TRUE;
END
$$;

-- Drops every partition whose month ends at or before p_cutoff; returns the names dropped.
CREATE FUNCTION audit_drop_partitions_before(p_cutoff TIMESTAMPTZ) RETURNS SETOF TEXT
LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('trellis.audit.partitions:' || current_schema(), 0));
  FOR r IN
    SELECT c.relname AS name,
           to_timestamp(substring(c.relname FROM '_y([0-9]{4}m[0-9]{2})$'), 'YYYY"m"MM')::TIMESTAMP AS month
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = p.relnamespace
     WHERE p.relname = 'access_events' AND n.nspname = current_schema()
       AND c.relname ~ '_y[0-9]{4}m[0-9]{2}$'
     ORDER BY c.relname
  LOOP
    IF ((r.month + INTERVAL '1 month') AT TIME ZONE 'UTC') <= p_cutoff THEN
      EXECUTE format('DROP TABLE %I.%I', current_schema(), r.name);
      RETURN NEXT r.name;
    END IF;
  END LOOP;
END
$$;
