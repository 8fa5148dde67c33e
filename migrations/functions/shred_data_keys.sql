-- Destroys the named data keys, each only if an appended event (call_erased, call_expired) in the key's own
-- call orders it: the wrapped bytes are overwritten with NULL and the order's time, type and seq kept beside.
-- A key never stored gets a tombstone, so no key can be made for it later. A call under legal hold keeps its
-- key: holds are appended to the $holds stream, whose row is held FOR SHARE here, so a hold being placed is
-- committed before this looks, and one placed later waits for this to commit. An order for a held call
-- refuses the whole batch (P0423), so an erasure or expiry event never stands beside a key still readable:
-- the caller reads the holds again and leaves that call out. Returns how many keys were destroyed now.
CREATE OR REPLACE FUNCTION shred_data_keys(p_ids text[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  n integer;
  v_held text;
BEGIN
  INSERT INTO streams (id) VALUES ('$holds') ON CONFLICT (id) DO NOTHING;
  PERFORM 1 FROM streams WHERE id = '$holds' FOR SHARE;
  SELECT e.stream_id INTO v_held
    FROM events e JOIN held_calls h ON h.conversation_id = e.stream_id
   WHERE e.type IN ('call_erased', 'call_expired') AND e.data->>'keyId' = ANY(p_ids) AND e.data->>'keyId' = e.stream_id
     AND NOT EXISTS (SELECT 1 FROM data_keys d WHERE d.key_id = e.stream_id AND d.wrapped IS NULL)
   LIMIT 1;
  IF v_held IS NOT NULL THEN
    RAISE EXCEPTION 'call % is under legal hold: its key is kept', v_held USING ERRCODE = 'P0423';
  END IF;
  INSERT INTO data_keys AS k (key_id, stream_id, wrapped, master_key_id, destroyed_at, destroyed_by, destroyed_seq)
  SELECT DISTINCT ON (e.data->>'keyId') e.data->>'keyId', e.stream_id, NULL, NULL, (e.data->>'at')::timestamptz, e.type, e.seq
    FROM events e
   WHERE e.type IN ('call_erased', 'call_expired') AND e.data->>'keyId' = ANY(p_ids) AND e.data->>'keyId' = e.stream_id
     AND e.stream_id NOT IN (SELECT h.conversation_id FROM held_calls h)
   ORDER BY e.data->>'keyId', e.seq
  ON CONFLICT ON CONSTRAINT data_keys_pkey DO UPDATE
     SET wrapped = NULL, master_key_id = NULL, destroyed_at = excluded.destroyed_at, destroyed_by = excluded.destroyed_by,
         destroyed_seq = excluded.destroyed_seq
   WHERE k.wrapped IS NOT NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION shred_data_keys(text[]) SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
REVOKE ALL ON FUNCTION shred_data_keys(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shred_data_keys(text[]) TO compliance_recorder;
