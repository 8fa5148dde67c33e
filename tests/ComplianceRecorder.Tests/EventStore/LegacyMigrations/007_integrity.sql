-- Signing through the owner's functions, a store-wide anchor, and no way for the recorder's role to
-- plant objects of its own.

-- A recorder's role that can CREATE in the store's schema can plant a function or operator that an
-- owner-run function resolves; revoked here, and a schema where it still can (granted through another
-- role, say) fails the migration.
DO $$
BEGIN
  EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM compliance_recorder', current_schema());
  IF has_schema_privilege('compliance_recorder', current_schema(), 'CREATE') THEN
    RAISE EXCEPTION 'compliance_recorder can CREATE in schema %: revoke it (from PUBLIC or the role that grants it) before migrating', current_schema()
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END $$;

-- Which anchor (below) signed each checkpoint, so verify can recompute the anchor's digest and a
-- deleted checkpoint, even a stream's only one, is found.
ALTER TABLE chain_checkpoints ADD COLUMN anchor_seq bigint;

-- Store-wide anchors: each signs how many events lie at or below a sequence number every append below
-- had committed by, the digest of the checkpoints signed in the same pass, and the anchor before it.
-- Deleting a whole call changes a count; deleting an anchor breaks the next one's chain. Only deleting
-- the newest is not found here: the recorder logs each anchor, and that log is the witness for it.
CREATE TABLE chain_anchors (
  max_seq        bigint      PRIMARY KEY,
  events         bigint      NOT NULL,
  digest         bytea       NOT NULL,
  key_id         text        NOT NULL,
  signature      bytea       NOT NULL,
  prev_signature bytea,
  signed_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TRIGGER chain_anchors_no_update_delete BEFORE UPDATE OR DELETE ON chain_anchors
  FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER chain_anchors_no_truncate BEFORE TRUNCATE ON chain_anchors
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
REVOKE ALL ON chain_anchors FROM PUBLIC;
GRANT SELECT ON chain_anchors TO compliance_recorder;

-- Checkpoints are written only here: the head must be the stored hash of that version, above the
-- stream's latest checkpoint, chained onto that checkpoint's signature.
REVOKE INSERT ON chain_checkpoints FROM compliance_recorder, PUBLIC;

CREATE FUNCTION sign_checkpoint(p_stream text, p_version integer, p_head bytea, p_key_id text, p_signature bytea,
                                p_prev bytea, p_anchor_seq bigint)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
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

CREATE FUNCTION sign_anchor(p_max_seq bigint, p_events bigint, p_digest bytea, p_key_id text, p_signature bytea, p_prev bytea)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
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

-- The functions above get the schema's own name in their search path, as 006 gives the others; whatever
-- else the schema defines runs only inside those functions (or as the owner): not callable by the
-- recorder's role, now or when a later migration adds a function, so every function it can call is an
-- owner-run one and a test can hold later migrations to that.
DO $$
DECLARE
  f regprocedure;
  n name;
BEGIN
  FOR f, n IN SELECT p.oid::regprocedure, p.proname FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    IF n IN ('sign_checkpoint', 'sign_anchor') THEN
      EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, pg_temp', f, current_schema());
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO compliance_recorder', f);
    END IF;
  END LOOP;
END $$;
-- for the owner's later functions too (per schema, PostgreSQL can only add to this default, not take away)
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
