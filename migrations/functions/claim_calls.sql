-- Who follows which call. p_calls: calls the instance has just found (each gets its holders now, if it has
-- none yet); NULL: the periodic pass over every call whose end is not recorded yet. Every live instance runs
-- it each heartbeat, and the first thing it does is declare lapsed every instance whose lease ran out (under
-- the row lock writer_fence shares, so a lapsed instance's appends stop here). A call keeps its live holders
-- that are not leaving; an empty slot (one in partitioned mode, owner and standby in active-active) goes to a
-- live instance with room (its capacity: the Genesys topics it may hold), chosen by rendezvous hashing of call
-- and name, so every instance agrees without talking and calls spread. Returned: the calls asked for, and
-- of the others those that are the caller's or changed holders; covered says whether a live instance (the
-- caller included) was following the call before (a taker records a gap only when none was), found_first
-- whether this call made the row (the one instance that records a call nobody has room for as a gap).
CREATE OR REPLACE FUNCTION claim_calls(p_name text, p_generation bigint, p_calls text[])
RETURNS TABLE (call_id text, mine boolean, covered boolean, found_first boolean, call_owner text, call_standby text,
               gap_from timestamptz, gap_to timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_slots integer;
  v_new text[];
  r record;
  v_cover text[];
  v_dead text[];
  v_keep text[];
  v_owner text;
  v_standby text;
  v_changed boolean;
  v_last timestamptz;
  v_kept_since timestamptz;
  v_gap_from timestamptz;
  v_gap_to timestamptz;
BEGIN
  PERFORM writer_fence(p_name, p_generation);
  SELECT CASE i.mode WHEN 'partitioned' THEN 1 ELSE 2 END INTO v_slots FROM recorder_instances i WHERE i.name = p_name;
  -- The rows are locked first and the lease read again under the lock: a heartbeat that renewed meanwhile wins.
  -- The time is taken only once the locks are held (an UPDATE computes its new row before waiting out a
  -- FOR SHARE locker), so no append of the lapsed instance commits after its lapsed_at. Never the caller's
  -- own row: an instance whose lease ran out with nobody else to notice renews it at its next heartbeat.
  PERFORM 1 FROM recorder_instances i WHERE i.lapsed_at IS NULL AND i.lease_until < v_now AND i.name <> p_name ORDER BY i.name FOR UPDATE;
  UPDATE recorder_instances i SET lapsed_at = clock_timestamp() WHERE i.lapsed_at IS NULL AND i.lease_until < v_now AND i.name <> p_name;

  DELETE FROM call_leases c WHERE EXISTS (SELECT 1 FROM events e WHERE e.stream_id = c.conversation_id AND e.source_key = 'call_ended');
  WITH ins AS (
    INSERT INTO call_leases (conversation_id, claimed_at, changed_at)
    SELECT DISTINCT u.c, v_now, v_now FROM unnest(p_calls) u(c)
     WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = u.c AND e.source_key = 'call_ended')
     ORDER BY 1
    ON CONFLICT (conversation_id) DO NOTHING
    RETURNING conversation_id)
  SELECT coalesce(array_agg(ins.conversation_id), '{}') INTO v_new FROM ins;

  FOR r IN SELECT c.* FROM call_leases c
            WHERE p_calls IS NULL OR c.conversation_id = ANY(p_calls)
            ORDER BY c.conversation_id FOR UPDATE LOOP
    -- holders still alive (a leaving one included: it follows the call until it is replaced), and holders gone
    v_cover := ARRAY(SELECT i.name FROM recorder_instances i WHERE i.lapsed_at IS NULL AND i.name IN (r.owner, r.standby));
    v_dead := ARRAY(SELECT x FROM unnest(ARRAY[r.owner, r.standby]) x WHERE x IS NOT NULL AND NOT (x = ANY(v_cover)));
    v_gap_from := r.gap_from;
    v_gap_to := r.gap_to;
    IF cardinality(v_dead) > 0 THEN
      -- the call went unheard from the last event a gone holder wrote (a name#generation is that name's older
      -- process) until a live holder had begun following it, unless one had already begun before that
      SELECT max(e.recorded_at) INTO v_last FROM events e
       WHERE e.stream_id = r.conversation_id AND e.writer = ANY(ARRAY(SELECT split_part(d, '#', 1) FROM unnest(v_dead) d));
      v_last := coalesce(v_last, r.claimed_at);
      v_kept_since := (SELECT min(CASE x WHEN r.owner THEN r.owner_since ELSE r.standby_since END) FROM unnest(v_cover) x);
      IF v_kept_since IS NULL OR v_kept_since > v_last THEN
        v_gap_from := least(coalesce(v_gap_from, v_last), v_last);
        v_gap_to := v_kept_since;
      END IF;
    END IF;
    -- live holders that stay, the owner first
    v_keep := ARRAY(SELECT i.name FROM recorder_instances i
                     WHERE i.lapsed_at IS NULL AND NOT i.leaving AND i.name IN (r.owner, r.standby)
                     ORDER BY i.name = r.owner DESC, i.name
                     LIMIT v_slots);
    IF cardinality(v_keep) < v_slots THEN
      v_keep := v_keep || ARRAY(
        SELECT i.name FROM recorder_instances i
         -- the caller counts as live: it is asking now, and its fence has just passed
         WHERE i.lapsed_at IS NULL AND NOT i.leaving AND (i.lease_until >= v_now OR i.name = p_name) AND NOT (i.name = ANY(v_keep))
           AND (SELECT count(*) FROM call_leases h WHERE h.owner = i.name OR h.standby = i.name) < i.capacity
         ORDER BY hashtext(r.conversation_id || '/' || i.name), i.name
         LIMIT v_slots - cardinality(v_keep));
    END IF;
    v_owner := v_keep[1];
    v_standby := CASE WHEN v_slots > 1 THEN v_keep[2] END;
    v_changed := v_owner IS DISTINCT FROM r.owner OR v_standby IS DISTINCT FROM r.standby;
    mine := coalesce(p_name IN (v_owner, v_standby), false);
    -- a pending gap goes to the first holder that asks, which records it
    gap_from := CASE WHEN mine THEN v_gap_from END;
    gap_to := CASE WHEN mine THEN v_gap_to END;
    IF v_changed OR v_gap_from IS DISTINCT FROM r.gap_from OR mine AND v_gap_from IS NOT NULL THEN
      UPDATE call_leases c SET owner = v_owner, standby = v_standby,
             owner_since = CASE WHEN v_owner IS NULL THEN NULL WHEN v_owner = r.owner THEN r.owner_since
                                WHEN v_owner = r.standby THEN r.standby_since ELSE v_now END,
             standby_since = CASE WHEN v_standby IS NULL THEN NULL WHEN v_standby = r.owner THEN r.owner_since
                                  WHEN v_standby = r.standby THEN r.standby_since ELSE v_now END,
             generation = c.generation + CASE WHEN v_changed THEN 1 ELSE 0 END, changed_at = v_now,
             gap_from = CASE WHEN mine THEN NULL ELSE v_gap_from END,
             gap_to = CASE WHEN mine THEN NULL ELSE v_gap_to END
       WHERE c.conversation_id = r.conversation_id;
    END IF;
    IF p_calls IS NOT NULL OR v_changed OR mine THEN
      call_id := r.conversation_id;
      covered := cardinality(v_cover) > 0;
      found_first := r.conversation_id = ANY(v_new);
      call_owner := v_owner;
      call_standby := v_standby;
      RETURN NEXT;
    END IF;
  END LOOP;
END $$;

-- The recorder takes calls only through this function.
-- It runs as the owner, with a search path no caller can plant a table or operator in (the store's schema
-- is named when this file runs); only the recorder's role may call it.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION claim_calls(text, bigint, text[]) SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
REVOKE ALL ON FUNCTION claim_calls(text, bigint, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_calls(text, bigint, text[]) TO compliance_recorder;
