-- Master-key rotation, run by the schema's owner: each named key, still wrapped by p_from, is stored wrapped
-- by p_to instead. Events are not touched (the data keys are the same keys). A key destroyed meanwhile stays
-- destroyed.
CREATE OR REPLACE FUNCTION rewrap_data_keys(p_ids text[], p_wrapped bytea[], p_from text[], p_to text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  UPDATE data_keys k SET wrapped = u.w, master_key_id = p_to, rewrapped_at = clock_timestamp()
    FROM unnest(p_ids, p_wrapped, p_from) u(i, w, f)
   WHERE k.key_id = u.i AND k.master_key_id = u.f AND k.wrapped IS NOT NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION rewrap_data_keys(text[], bytea[], text[], text) SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
REVOKE ALL ON FUNCTION rewrap_data_keys(text[], bytea[], text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rewrap_data_keys(text[], bytea[], text[], text) FROM compliance_recorder;
-- Not the recorder's: it could overwrite any live key with bytes that open nothing, a shred with no event.
-- rotate-master-key runs it as the owner.
