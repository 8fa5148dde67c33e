-- Inline projections: written in the same transaction as the events they come from.
CREATE TABLE audit_log (
  seq                bigint PRIMARY KEY,
  recorded_at        timestamptz NOT NULL,
  conversation_id    text        NOT NULL,
  media_session_id   text,
  sequence           bigint,
  channel            text        NOT NULL,
  utterance_id       text        NOT NULL,
  revision           integer     NOT NULL,
  is_final           boolean     NOT NULL,
  backfilled         boolean     NOT NULL,
  raw_length         integer     NOT NULL,
  redacted_length    integer     NOT NULL,
  latency_ms         double precision,
  tokens_processed   integer     NOT NULL,
  compliance_flag    text        NOT NULL,
  entities           jsonb       NOT NULL,
  offset_ms          bigint
);
CREATE INDEX audit_log_conversation ON audit_log (conversation_id, seq);
CREATE INDEX audit_log_recorded_at ON audit_log (recorded_at);

CREATE TABLE call_summaries (
  conversation_id  text PRIMARY KEY,
  started_at       timestamptz NOT NULL,
  ended_at         timestamptz,
  segments         integer NOT NULL DEFAULT 0,
  finals           integer NOT NULL DEFAULT 0,
  gaps             integer NOT NULL DEFAULT 0,
  lost_messages    integer NOT NULL DEFAULT 0,
  redactions       integer NOT NULL DEFAULT 0,
  last_seq         bigint  NOT NULL
);

CREATE FUNCTION project_inline(p_seq bigint, p_stream text, p_type text, p_data jsonb, p_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_redactions integer := 0;
BEGIN
  IF p_type = 'segment_recorded' THEN
    SELECT coalesce(sum(value::integer), 0) INTO v_redactions FROM jsonb_each_text(p_data->'entities');
    INSERT INTO audit_log VALUES (
      p_seq, p_at, p_stream, p_data->>'mediaSessionId', (p_data->>'sourceSequence')::bigint,
      p_data->>'channel', p_data->>'utteranceId', (p_data->>'revision')::integer, (p_data->>'isFinal')::boolean,
      coalesce((p_data->>'backfilled')::boolean, false),
      (p_data->>'rawLength')::integer, (p_data->>'redactedLength')::integer, (p_data->>'latencyMs')::double precision,
      (p_data->>'tokens')::integer, CASE WHEN v_redactions > 0 THEN 'PII_REDACTED' ELSE 'CLEAN' END,
      p_data->'entities', (p_data->>'offsetMs')::bigint);
  END IF;
  IF p_type IN ('segment_recorded', 'coverage_gap_recorded', 'call_started', 'call_ended') THEN
    INSERT INTO call_summaries AS s (conversation_id, started_at, last_seq)
    VALUES (p_stream, p_at, p_seq)
    ON CONFLICT (conversation_id) DO NOTHING;
    UPDATE call_summaries SET
      segments      = segments + (p_type = 'segment_recorded')::integer,
      finals        = finals + (p_type = 'segment_recorded' AND (p_data->>'isFinal')::boolean)::integer,
      gaps          = gaps + (p_type = 'coverage_gap_recorded')::integer,
      lost_messages = lost_messages + CASE WHEN p_type = 'coverage_gap_recorded' THEN coalesce((p_data->>'lostCount')::integer, 0) ELSE 0 END,
      redactions    = redactions + v_redactions,
      ended_at      = CASE WHEN p_type = 'call_ended' THEN p_at ELSE ended_at END,
      last_seq      = p_seq
    WHERE conversation_id = p_stream;
  END IF;
END $$;

-- One round trip per batch: arrays in, one row out per event (its version and sequence, or the
-- existing event's when the source key was already recorded).
CREATE FUNCTION append_events(
  p_streams text[], p_expected integer[], p_types text[], p_schemas integer[], p_data jsonb[], p_meta jsonb[],
  p_source_keys text[], p_writer text)
RETURNS TABLE (idx integer, stream_id text, version integer, seq bigint, duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
  i integer;
  v_version integer;
  v_head bytea;
  v_hash bytea;
  v_seq bigint;
  v_at timestamptz;
  v_existing record;
BEGIN
  -- appenders share this lock; the projection daemon takes it alone for an instant to learn
  -- that every sequence number below the high-water mark is committed or gone for good
  PERFORM pg_advisory_xact_lock_shared(727274);
  FOR i IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
    IF p_source_keys[i] IS NOT NULL THEN
      SELECT e.version, e.seq INTO v_existing FROM events e
       WHERE e.stream_id = p_streams[i] AND e.source_key = p_source_keys[i];
      IF FOUND THEN
        idx := i; stream_id := p_streams[i]; version := v_existing.version; seq := v_existing.seq; duplicate := true;
        RETURN NEXT;
        CONTINUE;
      END IF;
    END IF;
    INSERT INTO streams (id) VALUES (p_streams[i]) ON CONFLICT (id) DO NOTHING;
    SELECT s.version, s.head_hash INTO v_version, v_head FROM streams s WHERE s.id = p_streams[i] FOR UPDATE;
    IF p_expected[i] IS NOT NULL AND p_expected[i] >= 0 AND p_expected[i] <> v_version THEN
      RAISE EXCEPTION 'stream % is at version %, expected %', p_streams[i], v_version, p_expected[i]
        USING ERRCODE = 'P0409';
    END IF;
    v_version := v_version + 1;
    v_seq := nextval('events_seq');
    v_at := clock_timestamp();
    v_hash := sha256(v_head || event_canonical(p_streams[i], v_version, p_types[i], p_schemas[i], p_data[i], p_meta[i]));
    INSERT INTO events (seq, stream_id, version, type, schema_version, data, metadata, source_key, writer, recorded_at, prev_hash, hash)
    VALUES (v_seq, p_streams[i], v_version, p_types[i], p_schemas[i], p_data[i], p_meta[i], p_source_keys[i], p_writer, v_at, v_head, v_hash);
    UPDATE streams SET version = v_version, head_hash = v_hash, updated_at = v_at WHERE id = p_streams[i];
    PERFORM project_inline(v_seq, p_streams[i], p_types[i], p_data[i], v_at);
    idx := i; stream_id := p_streams[i]; version := v_version; seq := v_seq; duplicate := false;
    RETURN NEXT;
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE ON audit_log, call_summaries TO compliance_recorder;
GRANT EXECUTE ON FUNCTION append_events(text[], integer[], text[], integer[], jsonb[], jsonb[], text[], text) TO compliance_recorder;

-- Views for auditors.
CREATE VIEW audit_call_latency AS
SELECT conversation_id,
       count(*) AS segments,
       percentile_cont(0.5)  WITHIN GROUP (ORDER BY latency_ms) AS p50_latency_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_latency_ms,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99_latency_ms,
       max(latency_ms) AS max_latency_ms
  FROM audit_log GROUP BY conversation_id;

CREATE VIEW audit_gaps AS
SELECT e.stream_id AS conversation_id, e.seq, e.recorded_at, e.data->>'kind' AS kind, e.data->>'channel' AS channel,
       (e.data->>'from')::timestamptz AS gap_from, (e.data->>'to')::timestamptz AS gap_to,
       (e.data->>'lostCount')::integer AS lost_count, e.data->>'detail' AS detail
  FROM events e WHERE e.type = 'coverage_gap_recorded';
