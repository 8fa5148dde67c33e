-- An instance joins (p_generation NULL: a new generation), renews its lease, starts leaving (its calls are
-- handed on while it still follows them) or leaves (declared gone at once). Returns the generation, or NULL
-- when this generation was declared lapsed: the instance is fenced and must stop writing.
CREATE OR REPLACE FUNCTION instance_heartbeat(p_name text, p_generation bigint, p_mode text, p_capacity integer, p_lease_ms integer, p_state text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_gen bigint;
BEGIN
  IF p_state NOT IN ('live', 'leaving', 'left') THEN
    RAISE EXCEPTION 'unknown instance state %', p_state USING ERRCODE = '22023';
  END IF;
  IF p_generation IS NULL THEN
    -- a name already known is taken over: the older process of that name is fenced from now on, and the calls it
    -- held are held by a holder that is gone (marked name#generation), so the next claim hands them on with the gap
    SELECT i.generation INTO v_gen FROM recorder_instances i WHERE i.name = p_name FOR UPDATE;
    v_now := clock_timestamp();
    IF FOUND THEN
      UPDATE call_leases c SET owner = p_name || '#' || v_gen WHERE c.owner = p_name;
      UPDATE call_leases c SET standby = p_name || '#' || v_gen WHERE c.standby = p_name;
    END IF;
    v_gen := nextval('instance_generations');
    INSERT INTO recorder_instances (name, generation, mode, capacity, joined_at, heartbeat_at, lease_until)
    VALUES (p_name, v_gen, p_mode, p_capacity, v_now, v_now, v_now + p_lease_ms * interval '1 millisecond')
    ON CONFLICT (name) DO UPDATE SET generation = excluded.generation, mode = excluded.mode, capacity = excluded.capacity,
      joined_at = excluded.joined_at, heartbeat_at = excluded.heartbeat_at, lease_until = excluded.lease_until,
      leaving = false, lapsed_at = NULL;
    RETURN v_gen;
  END IF;
  PERFORM 1 FROM recorder_instances i WHERE i.name = p_name AND i.generation = p_generation AND i.lapsed_at IS NULL FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- the lease counts from when the row is ours: a heartbeat that waited out busy appends (FOR SHARE) must not
  -- write a lease that has already run out
  v_now := clock_timestamp();
  UPDATE recorder_instances i SET heartbeat_at = v_now,
         lease_until = CASE WHEN p_state = 'left' THEN v_now ELSE v_now + p_lease_ms * interval '1 millisecond' END,
         leaving = p_state <> 'live',
         lapsed_at = CASE WHEN p_state = 'left' THEN v_now END
   WHERE i.name = p_name;
  RETURN p_generation;
END $$;

-- The recorder keeps its membership only through this function.
-- It runs as the owner, with a search path no caller can plant a table or operator in (the store's schema
-- is named when this file runs); only the recorder's role may call it.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION instance_heartbeat(text, bigint, text, integer, integer, text) SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
REVOKE ALL ON FUNCTION instance_heartbeat(text, bigint, text, integer, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION instance_heartbeat(text, bigint, text, integer, integer, text) TO compliance_recorder;
