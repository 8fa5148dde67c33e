-- One metrics_window_closed event into metrics_windows and, for the store-wide scope, metrics_daily.
CREATE OR REPLACE FUNCTION project_metrics(p_seq bigint, p_data jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_start timestamptz := (p_data->>'windowStart')::timestamptz;
BEGIN
  INSERT INTO metrics_windows VALUES (
    p_data->>'scope', v_start, (p_data->>'windowEnd')::timestamptz, (p_data->>'segments')::integer,
    (p_data->>'tokens')::integer, (p_data->>'gaps')::integer, (p_data->>'p50Ms')::double precision,
    (p_data->>'p95Ms')::double precision, (p_data->>'p99Ms')::double precision, (p_data->>'maxMs')::double precision, p_seq)
  ON CONFLICT (scope, window_start) DO NOTHING;
  IF NOT FOUND OR p_data->>'scope' <> 'all' THEN
    RETURN;
  END IF;
  INSERT INTO metrics_daily AS d VALUES (
    (v_start AT TIME ZONE 'UTC')::date, 'all', 1, (p_data->>'segments')::bigint, (p_data->>'tokens')::bigint,
    (p_data->>'gaps')::bigint, (p_data->>'p99Ms')::double precision)
  ON CONFLICT (day, scope) DO UPDATE SET
    windows = d.windows + 1, segments = d.segments + excluded.segments, tokens = d.tokens + excluded.tokens,
    gaps = d.gaps + excluded.gaps, max_p99_ms = greatest(d.max_p99_ms, excluded.max_p99_ms);
END $$;

-- called only inside the owner's functions (or by the owner)
REVOKE ALL ON FUNCTION project_metrics(bigint, jsonb) FROM PUBLIC;
