-- A store-wide anchor (see chain_anchors in 001_schema.sql), chained onto the latest one, counting every
-- event up to p_max_seq.
CREATE OR REPLACE FUNCTION sign_anchor(p_max_seq bigint, p_events bigint, p_digest bytea, p_key_id text, p_signature bytea, p_prev bytea)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_last bigint;
  v_last_events bigint;
  v_prev bytea;
BEGIN
  PERFORM pg_advisory_xact_lock(727276);
  SELECT a.max_seq, a.events, a.signature INTO v_last, v_last_events, v_prev FROM chain_anchors a ORDER BY a.max_seq DESC LIMIT 1;
  IF p_max_seq <= coalesce(v_last, 0) THEN
    RAISE EXCEPTION 'the store is anchored up to seq %, not below %', v_last, p_max_seq USING ERRCODE = 'P0410';
  END IF;
  IF p_prev IS DISTINCT FROM v_prev THEN
    RAISE EXCEPTION 'anchor does not chain onto the latest anchor' USING ERRCODE = 'P0410';
  END IF;
  -- counted from the last anchor on, which verify recounts in turn
  IF p_events <> coalesce(v_last_events, 0) + (SELECT count(*) FROM events e WHERE e.seq > coalesce(v_last, 0) AND e.seq <= p_max_seq) THEN
    RAISE EXCEPTION 'anchor counts % events at or below seq %, the store holds another number', p_events, p_max_seq USING ERRCODE = 'P0410';
  END IF;
  INSERT INTO chain_anchors (max_seq, events, digest, key_id, signature, prev_signature)
  VALUES (p_max_seq, p_events, p_digest, p_key_id, p_signature, p_prev);
END $$;

-- The recorder anchors the store only through this function.
-- It runs as the owner, with a search path no caller can plant a table or operator in (the store's schema
-- is named when this file runs); only the recorder's role may call it.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION sign_anchor(bigint, bigint, bytea, text, bytea, bytea) SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
REVOKE ALL ON FUNCTION sign_anchor(bigint, bigint, bytea, text, bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sign_anchor(bigint, bigint, bytea, text, bytea, bytea) TO compliance_recorder;
