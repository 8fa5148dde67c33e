-- Called by claim_calls, first: the caller's membership row, locked FOR SHARE until its claim commits, must
-- still hold the caller's generation and not be declared lapsed (P0411). Appends check the same inside
-- append_events (p_generation), so that no statement of theirs holds this row before the append has arrived.
CREATE OR REPLACE FUNCTION writer_fence(p_name text, p_generation bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM recorder_instances i WHERE i.name = p_name AND i.generation = p_generation AND i.lapsed_at IS NULL FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'recorder instance % (generation %) has lost its lease: its calls were taken over and it may not write', p_name, p_generation
      USING ERRCODE = 'P0411';
  END IF;
END $$;

-- The committer checks its lease only through this function.
-- It runs as the owner, with a search path no caller can plant a table or operator in (the store's schema
-- is named when this file runs); only the recorder's role may call it.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION writer_fence(text, bigint) SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
REVOKE ALL ON FUNCTION writer_fence(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION writer_fence(text, bigint) TO compliance_recorder;
