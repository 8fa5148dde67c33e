-- Checkpoints are written only here: the head must be the stored hash of that version, above the
-- stream's latest checkpoint, chained onto that checkpoint's signature.
CREATE OR REPLACE FUNCTION sign_checkpoint(p_stream text, p_version integer, p_head bytea, p_key_id text, p_signature bytea,
                                p_prev bytea, p_anchor_seq bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_hash bytea;
  v_last integer;
  v_prev bytea;
BEGIN
  PERFORM pg_advisory_xact_lock(727276);
  SELECT e.hash INTO v_hash FROM events e WHERE e.stream_id = p_stream AND e.version = p_version;
  IF v_hash IS NULL OR v_hash <> p_head THEN
    RAISE EXCEPTION 'stream % version % does not have the head hash being signed', p_stream, p_version USING ERRCODE = 'P0410';
  END IF;
  SELECT c.version, c.signature INTO v_last, v_prev FROM chain_checkpoints c
   WHERE c.stream_id = p_stream ORDER BY c.version DESC LIMIT 1;
  IF p_version <= coalesce(v_last, 0) THEN
    RAISE EXCEPTION 'stream % is signed up to version %, not below %', p_stream, v_last, p_version USING ERRCODE = 'P0410';
  END IF;
  IF p_prev IS DISTINCT FROM v_prev THEN
    RAISE EXCEPTION 'checkpoint of stream % does not chain onto its latest signature', p_stream USING ERRCODE = 'P0410';
  END IF;
  INSERT INTO chain_checkpoints (stream_id, version, head_hash, key_id, signature, prev_signature, chained, anchor_seq)
  VALUES (p_stream, p_version, p_head, p_key_id, p_signature, p_prev, true, p_anchor_seq);
END $$;

-- The recorder signs stream heads only through this function.
-- It runs as the owner, with a search path no caller can plant a table or operator in (the store's schema
-- is named when this file runs); only the recorder's role may call it.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION sign_checkpoint(text, integer, bytea, text, bytea, bytea, bigint) SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
REVOKE ALL ON FUNCTION sign_checkpoint(text, integer, bytea, text, bytea, bytea, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sign_checkpoint(text, integer, bytea, text, bytea, bytea, bigint) TO compliance_recorder;
