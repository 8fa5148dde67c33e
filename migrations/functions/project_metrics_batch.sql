-- The metrics daemon's step: the same SQL it ran itself, now behind the owner's privileges. The high
-- water comes from the caller (read under the append lock in a transaction of its own) and is capped
-- at what is committed.
CREATE OR REPLACE FUNCTION project_metrics_batch(p_high_water bigint, p_limit integer)
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

-- The metrics daemon projects only through this function.
-- It runs as the owner, with a search path no caller can plant a table or operator in (the store's schema
-- is named when this file runs); only the recorder's role may call it.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION project_metrics_batch(bigint, integer) SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
REVOKE ALL ON FUNCTION project_metrics_batch(bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION project_metrics_batch(bigint, integer) TO compliance_recorder;
