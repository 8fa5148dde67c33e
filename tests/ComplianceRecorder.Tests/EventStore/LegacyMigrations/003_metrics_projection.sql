-- Async projection: metrics per window and per day, written by the projection daemon.
CREATE TABLE metrics_windows (
  scope         text             NOT NULL,
  window_start  timestamptz      NOT NULL,
  window_end    timestamptz      NOT NULL,
  segments      integer          NOT NULL,
  tokens        integer          NOT NULL,
  gaps          integer          NOT NULL,
  p50_ms        double precision NOT NULL,
  p95_ms        double precision NOT NULL,
  p99_ms        double precision NOT NULL,
  max_ms        double precision NOT NULL,
  seq           bigint           NOT NULL,
  PRIMARY KEY (scope, window_start)
);

CREATE TABLE metrics_daily (
  day         date             NOT NULL,
  scope       text             NOT NULL,
  windows     integer          NOT NULL,
  segments    bigint           NOT NULL,
  tokens      bigint           NOT NULL,
  gaps        bigint           NOT NULL,
  max_p99_ms  double precision NOT NULL,
  PRIMARY KEY (day, scope)
);

-- sequence numbers the daemon passed because no event holds them (rolled-back appends burn them)
ALTER TABLE progression ADD COLUMN skipped bigint NOT NULL DEFAULT 0;

CREATE FUNCTION project_metrics(p_seq bigint, p_data jsonb) RETURNS void LANGUAGE plpgsql AS $$
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

GRANT SELECT, INSERT, UPDATE ON metrics_windows, metrics_daily TO compliance_recorder;

-- Signed checkpoints of stream heads: an HMAC over (stream, version, head hash) with a key the
-- database never sees, so even a superuser who rewrites a chain cannot re-sign its head.
CREATE TABLE chain_checkpoints (
  stream_id   text        NOT NULL,
  version     integer     NOT NULL,
  head_hash   bytea       NOT NULL,
  key_id      text        NOT NULL,
  signature   bytea       NOT NULL,
  signed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (stream_id, version)
);
CREATE TRIGGER chain_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON chain_checkpoints
  FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER chain_checkpoints_no_truncate BEFORE TRUNCATE ON chain_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
GRANT SELECT, INSERT ON chain_checkpoints TO compliance_recorder;
