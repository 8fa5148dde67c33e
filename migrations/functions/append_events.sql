-- One round trip per batch: arrays in, one row out per event (its version and sequence, or the
-- existing event's when the source key was already recorded). Appends and inline projections are set
-- operations: updating one summary row once per event inside one transaction left a chain of dead row
-- versions per call (2k events/s on rebuild); a batch writes each table once. Duplicate skipping is
-- atomic: the known source keys are looked up only once the stream rows are locked, so two writers of the
-- same events both succeed.
-- p_generation (#15): the writer's membership generation, or NULL for a writer that is no instance (single
-- mode, verbs). The fence is this function's first statement, not a statement of its own before it: a batch
-- cut off by a silent network mid-way then holds no lock at all (the function runs only once its whole call
-- has arrived), where a fence sent ahead of the append held the writer's membership row, and with it every
-- other instance's claim_calls, until TCP gave up.
-- The earlier signature (without p_generation) goes: a call with eight arguments would match both.
DROP FUNCTION IF EXISTS append_events(text[], integer[], text[], integer[], jsonb[], jsonb[], text[], text);
CREATE OR REPLACE FUNCTION append_events(
  p_streams text[], p_expected integer[], p_types text[], p_schemas integer[], p_data jsonb[], p_meta jsonb[],
  p_source_keys text[], p_writer text, p_generation bigint DEFAULT NULL)
RETURNS TABLE (idx integer, stream_id text, version integer, seq bigint, duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
  n integer := coalesce(array_length(p_streams, 1), 0);
  v_at timestamptz := clock_timestamp();
  v_first integer[];          -- per event: the first event of the batch with the same stream and source key
  v_known_idx integer[]; v_known_ver integer[]; v_known_seq bigint[];
  v_sids text[]; v_sver integer[]; v_shead bytea[];
  v_ver integer[] := array_fill(0, ARRAY[n]);
  v_seq bigint[] := array_fill(0::bigint, ARRAY[n]);
  v_dup boolean[] := array_fill(false, ARRAY[n]);
  -- the new events, filled in place (appending to an array copies it)
  m integer := 0;
  i_idx integer[] := array_fill(0, ARRAY[n]); i_seq bigint[] := array_fill(0::bigint, ARRAY[n]); i_ver integer[] := array_fill(0, ARRAY[n]);
  i_prev bytea[] := array_fill(NULL::bytea, ARRAY[n]); i_hash bytea[] := array_fill(NULL::bytea, ARRAY[n]);
  v_i integer; v_j integer; v_k integer; v_hash bytea;
BEGIN
  -- The writer's membership row, locked FOR SHARE until this append commits, must still hold its generation
  -- and not be declared lapsed. claim_calls declares an instance lapsed under FOR UPDATE of the same row, so
  -- either this append commits first (and the taker's gap starts after it) or it is refused here (P0411) and
  -- nothing of the batch is written.
  IF p_generation IS NOT NULL THEN
    PERFORM 1 FROM recorder_instances i WHERE i.name = p_writer AND i.generation = p_generation AND i.lapsed_at IS NULL FOR SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'recorder instance % (generation %) has lost its lease: its calls were taken over and it may not write', p_writer, p_generation
        USING ERRCODE = 'P0411';
    END IF;
  END IF;
  -- appenders share this lock; the projection daemon takes it alone for an instant to learn
  -- that every sequence number below the high-water mark is committed or gone for good
  PERFORM pg_advisory_xact_lock_shared(727274);
  IF n = 0 THEN
    RETURN;
  END IF;

  SELECT array_agg(f ORDER BY o) INTO v_first FROM (
    SELECT o, first_value(o) OVER (PARTITION BY us, coalesce(uk, '#' || o) ORDER BY o) AS f
      FROM unnest(p_streams, p_source_keys) WITH ORDINALITY u(us, uk, o)) x;

  INSERT INTO streams AS s (id) SELECT DISTINCT x FROM unnest(p_streams) x ORDER BY 1 ON CONFLICT (id) DO NOTHING;
  -- rows locked in id order, so two batches over the same calls cannot deadlock
  SELECT array_agg(l.id ORDER BY l.id), array_agg(l.version ORDER BY l.id), array_agg(l.head_hash ORDER BY l.id)
    INTO v_sids, v_sver, v_shead
    FROM (SELECT st.id, st.version, st.head_hash FROM streams st WHERE st.id = ANY(p_streams) ORDER BY st.id FOR UPDATE) l;

  -- Events whose source identity is already recorded (a redelivery, or another recorder's copy).
  -- Looked up only now that the stream rows are locked: a writer of the same events that got the locks
  -- first has committed by the time we hold them, and in READ COMMITTED each statement of a volatile
  -- function takes a new snapshot, so this one sees its rows and skips them instead of colliding.
  -- (Under REPEATABLE READ the lock itself fails with 40001 instead, which the committer retries.)
  SELECT array_agg(u.o), array_agg(e.version), array_agg(e.seq) INTO v_known_idx, v_known_ver, v_known_seq
    FROM unnest(p_streams, p_source_keys) WITH ORDINALITY u(us, uk, o)
    JOIN events e ON e.stream_id = u.us AND e.source_key = u.uk;

  FOR v_i IN 1 .. n LOOP
    v_k := array_position(v_known_idx, v_i);
    IF v_k IS NOT NULL THEN
      v_ver[v_i] := v_known_ver[v_k]; v_seq[v_i] := v_known_seq[v_k]; v_dup[v_i] := true;
      CONTINUE;
    END IF;
    IF v_first[v_i] <> v_i THEN
      v_ver[v_i] := v_ver[v_first[v_i]]; v_seq[v_i] := v_seq[v_first[v_i]]; v_dup[v_i] := true;
      CONTINUE;
    END IF;
    v_j := array_position(v_sids, p_streams[v_i]);
    IF p_expected[v_i] IS NOT NULL AND p_expected[v_i] >= 0 AND p_expected[v_i] <> v_sver[v_j] THEN
      RAISE EXCEPTION 'stream % is at version %, expected %', p_streams[v_i], v_sver[v_j], p_expected[v_i] USING ERRCODE = 'P0409';
    END IF;
    v_sver[v_j] := v_sver[v_j] + 1;
    v_ver[v_i] := v_sver[v_j];
    v_seq[v_i] := nextval('events_seq');
    v_hash := sha256(v_shead[v_j] || event_canonical(p_streams[v_i], v_ver[v_i], p_types[v_i], p_schemas[v_i], p_data[v_i], p_meta[v_i]));
    m := m + 1;
    i_idx[m] := v_i; i_seq[m] := v_seq[v_i]; i_ver[m] := v_ver[v_i]; i_prev[m] := v_shead[v_j]; i_hash[m] := v_hash;
    v_shead[v_j] := v_hash;
  END LOOP;

  IF m > 0 THEN
    i_idx := i_idx[1:m]; i_seq := i_seq[1:m]; i_ver := i_ver[1:m]; i_prev := i_prev[1:m]; i_hash := i_hash[1:m];
    INSERT INTO events (seq, stream_id, version, type, schema_version, data, metadata, source_key, writer, recorded_at, prev_hash, hash)
    SELECT u.q, p_streams[u.o], u.v, p_types[u.o], p_schemas[u.o], p_data[u.o], p_meta[u.o], p_source_keys[u.o], p_writer, v_at, u.p, u.h
      FROM unnest(i_idx, i_seq, i_ver, i_prev, i_hash) u(o, q, v, p, h);

    UPDATE streams st SET version = u.v, head_hash = u.h, updated_at = v_at
      FROM unnest(v_sids, v_sver, v_shead) u(id, v, h)
     WHERE st.id = u.id AND st.version <> u.v;

    INSERT INTO audit_log SELECT * FROM audit_log_source a WHERE a.seq = ANY(i_seq);

    INSERT INTO call_summaries AS cs SELECT * FROM summarize_calls(i_seq)
    ON CONFLICT (conversation_id) DO UPDATE SET
      started_at = least(cs.started_at, excluded.started_at), ended_at = greatest(cs.ended_at, excluded.ended_at),
      segments = cs.segments + excluded.segments, finals = cs.finals + excluded.finals, gaps = cs.gaps + excluded.gaps,
      lost_messages = cs.lost_messages + excluded.lost_messages, redactions = cs.redactions + excluded.redactions,
      last_seq = greatest(cs.last_seq, excluded.last_seq);
  END IF;

  RETURN QUERY SELECT s.o::integer, p_streams[s.o], v_ver[s.o], v_seq[s.o], v_dup[s.o] FROM generate_series(1, n) s(o);
END $$;

-- The recorder appends only through this function.
-- It runs as the owner, with a search path no caller can plant a table or operator in (the store's schema
-- is named when this file runs); only the recorder's role may call it.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION append_events(text[], integer[], text[], integer[], jsonb[], jsonb[], text[], text, bigint) SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
REVOKE ALL ON FUNCTION append_events(text[], integer[], text[], integer[], jsonb[], jsonb[], text[], text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION append_events(text[], integer[], text[], integer[], jsonb[], jsonb[], text[], text, bigint) TO compliance_recorder;
