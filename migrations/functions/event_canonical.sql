-- The bytes the hash chain covers. verify recomputes them from the stored columns.
CREATE OR REPLACE FUNCTION event_canonical(p_stream text, p_version integer, p_type text, p_schema integer, p_data jsonb, p_meta jsonb)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT convert_to(p_stream || E'\n' || p_version || E'\n' || p_type || E'\n' || p_schema || E'\n'
                    || p_data::text || E'\n' || p_meta::text, 'UTF8')
$$;

-- called only inside the owner's functions (or by the owner)
REVOKE ALL ON FUNCTION event_canonical(text, integer, text, integer, jsonb, jsonb) FROM PUBLIC;
