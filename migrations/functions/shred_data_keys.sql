-- Destroys the named data keys, each only if an appended event (call_erased, call_expired) orders it:
-- the wrapped bytes are overwritten with NULL and the order's time, type and seq kept beside. A key never
-- stored gets a tombstone, so no key can be made for it later. A call under legal hold keeps its key even
-- if a hold was placed after its order was checked: the database has the last word. Returns how many keys
-- were destroyed now.
CREATE OR REPLACE FUNCTION shred_data_keys(p_ids text[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  INSERT INTO data_keys AS k (key_id, stream_id, wrapped, master_key_id, destroyed_at, destroyed_by, destroyed_seq)
  SELECT DISTINCT ON (e.data->>'keyId') e.data->>'keyId', e.stream_id, NULL, NULL, (e.data->>'at')::timestamptz, e.type, e.seq
    FROM events e
   WHERE e.type IN ('call_erased', 'call_expired') AND e.data->>'keyId' = ANY(p_ids)
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
