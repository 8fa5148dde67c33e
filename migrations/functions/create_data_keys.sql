-- Stores new data keys (wrapped) for the calls that have none, and returns every named key as it stands:
-- a key another recorder stored first wins, and a key destroyed (or ordered destroyed before it existed)
-- comes back with no wrapped bytes, so nothing is sealed with a key the record says is gone.
CREATE OR REPLACE FUNCTION create_data_keys(p_ids text[], p_streams text[], p_wrapped bytea[], p_master text)
RETURNS TABLE (key_id text, wrapped bytea, master_key_id text, destroyed_at timestamptz, destroyed_by text)
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO data_keys AS k (key_id, stream_id, wrapped, master_key_id)
  SELECT u.i, u.s, u.w, p_master FROM unnest(p_ids, p_streams, p_wrapped) u(i, s, w)
   WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.type IN ('call_erased', 'call_expired') AND e.data->>'keyId' = u.i)
   ORDER BY u.i
  ON CONFLICT ON CONSTRAINT data_keys_pkey DO NOTHING;
  RETURN QUERY SELECT d.key_id, d.wrapped, d.master_key_id, d.destroyed_at, d.destroyed_by FROM data_keys d WHERE d.key_id = ANY(p_ids);
END $$;

DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION create_data_keys(text[], text[], bytea[], text) SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
REVOKE ALL ON FUNCTION create_data_keys(text[], text[], bytea[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION create_data_keys(text[], text[], bytea[], text) TO compliance_recorder;
