-- Immutability by privilege, not by convention. The schema belongs to whoever runs migrations (the
-- owner); the recorder logs in as compliance_recorder (or a login role granted it), which may read
-- everything but writes only through functions that run as the owner: append_events for events,
-- their inline projections and report access, project_metrics_batch for the metrics daemon. It owns
-- nothing, so it can neither ALTER a table nor disable a trigger, and not being a superuser it cannot
-- set session_replication_role. Functions are altered here rather than redefined, so a migration that
-- replaces append_events before this one keeps its body and gains these attributes.

DO $$
BEGIN
  CREATE ROLE compliance_recorder NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

-- The metrics daemon's step: the same SQL it ran itself, now behind the owner's privileges. The high
-- water comes from the caller (read under the append lock in a transaction of its own) and is capped
-- at what is committed.
CREATE FUNCTION project_metrics_batch(p_high_water bigint, p_limit integer)
RETURNS TABLE (from_seq bigint, to_seq bigint, projected integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_from bigint;
  v_to bigint;
  v_hw bigint;
  v_n integer := 0;
  r record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('projection:metrics'));
  SELECT least(p_high_water, coalesce(max(e.seq), 0)) INTO v_hw FROM events e;
  INSERT INTO progression (name, last_seq) VALUES ('metrics', 0) ON CONFLICT (name) DO NOTHING;
  SELECT p.last_seq INTO v_from FROM progression p WHERE p.name = 'metrics' FOR UPDATE;
  v_to := v_from;
  FOR r IN SELECT e.seq, e.data FROM events e
            WHERE e.seq > v_from AND e.seq <= v_hw AND e.type = 'metrics_window_closed'
            ORDER BY e.seq LIMIT p_limit LOOP
    PERFORM project_metrics(r.seq, r.data);
    v_to := r.seq;
    v_n := v_n + 1;
  END LOOP;
  -- a short batch means nothing of ours lies below the high-water mark any more
  IF v_n < p_limit THEN
    v_to := greatest(v_to, v_hw);
  END IF;
  IF v_to > v_from THEN
    UPDATE progression p SET last_seq = v_to, updated_at = clock_timestamp(),
           skipped = p.skipped + (v_to - v_from) - (SELECT count(*) FROM events e WHERE e.seq > v_from AND e.seq <= v_to)
     WHERE p.name = 'metrics';
  END IF;
  from_seq := v_from; to_seq := v_to; projected := v_n;
  RETURN NEXT;
END $$;

-- Every overload (another migration may have changed the signature) runs as the owner with a search
-- path no caller can plant a table or operator in; only the recorder's role may call it.
DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
            WHERE p.pronamespace = current_schema()::regnamespace
              AND p.proname IN ('append_events', 'project_metrics_batch') LOOP
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp', f, current_schema());
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO compliance_recorder', f);
  END LOOP;
  -- writing functions that only the definers above may call
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
            WHERE p.pronamespace = current_schema()::regnamespace AND p.proname IN ('project_metrics') LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
  BEGIN
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'CREATE on schema % left as it is: the migrating role does not own it', current_schema();
  END;
END $$;

-- Direct writes: none, on the record or on what is projected from it. Rebuilds run as the owner.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
  ON streams, events, progression, audit_log, call_summaries, metrics_windows, metrics_daily, chain_checkpoints
  FROM compliance_recorder, PUBLIC;
REVOKE ALL ON SEQUENCE events_seq FROM compliance_recorder, PUBLIC;
GRANT SELECT ON streams, events, progression, audit_log, call_summaries, metrics_windows, metrics_daily,
  chain_checkpoints, audit_log_source, call_summary_events, call_summaries_source, audit_call_latency, audit_gaps,
  schema_migrations
  TO compliance_recorder;
-- the recorder signs stream heads; the table's triggers refuse any change to a signature once written
GRANT INSERT ON chain_checkpoints TO compliance_recorder;

-- Checkpoints form a chain per stream: each signs the previous checkpoint's signature too, so a
-- deleted checkpoint breaks the next one's signature and a missing one is found. Rows signed before
-- this migration are kept as they were signed (chained = false).
ALTER TABLE chain_checkpoints
  ADD COLUMN prev_signature bytea,
  ADD COLUMN chained boolean NOT NULL DEFAULT false;
