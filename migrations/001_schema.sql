-- The store's tables, views, triggers and privileges as they stand. Functions are not here: each has one
-- file in functions/, applied after the versioned files and again whenever it changes. (Stores made by
-- the earlier layout, 001_events.sql … 007_integrity.sql, hold exactly this schema and are adopted
-- without running it; EventStore/SchemaEquivalenceTests holds the two equal.)

-- No function the owner creates may be called by PUBLIC; the recorder's role is granted what it may call.
-- (Per schema PostgreSQL can only add to this default, not take away, so it is set for all schemas.)
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- The recorder logs in as compliance_recorder (or a login role granted it): it may read everything and
-- writes only through functions that run as the owner. It owns nothing, so it can neither ALTER a table
-- nor disable a trigger, and not being a superuser it cannot set session_replication_role.
DO $$
BEGIN
  CREATE ROLE compliance_recorder NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

-- The event store: streams (one per call), append-only events with a per-stream hash chain.
CREATE TABLE streams (
  id          text PRIMARY KEY,
  version     integer     NOT NULL DEFAULT 0,
  head_hash   bytea       NOT NULL DEFAULT '\x'::bytea,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  archived    boolean     NOT NULL DEFAULT false
);

CREATE SEQUENCE events_seq;

CREATE TABLE events (
  seq             bigint      PRIMARY KEY,
  stream_id       text        NOT NULL REFERENCES streams (id),
  version         integer     NOT NULL,
  type            text        NOT NULL,
  schema_version  integer     NOT NULL,
  data            jsonb       NOT NULL,
  metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  -- the source's identity of what this event records (utterance + revision, frame position):
  -- a redelivery finds it taken and is not appended twice
  source_key      text,
  writer          text        NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  prev_hash       bytea       NOT NULL,
  hash            bytea       NOT NULL,
  UNIQUE (stream_id, version),
  UNIQUE (stream_id, source_key)
);
-- The daemon and rebuilds look events up by type; segments, the bulk, are never looked up that way,
-- so they need not pay for that index on every append.
CREATE INDEX events_type_seq ON events (type, seq) WHERE type <> 'segment_recorded';

-- Immutability is the database's to enforce, not the application's good manners. The trigger function
-- is part of the tables it guards, so it is defined here, before its triggers (function files run after
-- the versioned ones).
CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
REVOKE ALL ON FUNCTION events_refuse_change() FROM PUBLIC;
CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

CREATE TABLE progression (
  name        text PRIMARY KEY,
  last_seq    bigint      NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- sequence numbers the daemon passed because no event holds them (rolled-back appends burn them)
  skipped     bigint      NOT NULL DEFAULT 0
);

-- Inline projections: written by append_events in the same transaction as the events they come from.
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

-- Signed checkpoints of stream heads: an HMAC over (stream, version, head hash) with a key the
-- database never sees, so even a superuser who rewrites a chain cannot re-sign its head. Each signs the
-- previous checkpoint's signature too, so a deleted checkpoint breaks the next one's signature; rows
-- signed before checkpoints were chained are kept as they were signed (chained = false). anchor_seq
-- names the anchor (below) that signed the checkpoint, so verify can recompute the anchor's digest.
CREATE TABLE chain_checkpoints (
  stream_id      text        NOT NULL,
  version        integer     NOT NULL,
  head_hash      bytea       NOT NULL,
  key_id         text        NOT NULL,
  signature      bytea       NOT NULL,
  signed_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  prev_signature bytea,
  chained        boolean     NOT NULL DEFAULT false,
  anchor_seq     bigint,
  PRIMARY KEY (stream_id, version)
);
CREATE TRIGGER chain_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON chain_checkpoints
  FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER chain_checkpoints_no_truncate BEFORE TRUNCATE ON chain_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

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

-- The inline projections read from views over events, used both live (for a batch's new sequence
-- numbers) and by rebuild (for all), so the two cannot differ.
CREATE VIEW audit_log_source AS
SELECT e.seq, e.recorded_at, e.stream_id AS conversation_id, e.data->>'mediaSessionId' AS media_session_id,
       (e.data->>'sourceSequence')::bigint AS sequence, e.data->>'channel' AS channel, e.data->>'utteranceId' AS utterance_id,
       (e.data->>'revision')::integer AS revision, (e.data->>'isFinal')::boolean AS is_final,
       coalesce((e.data->>'backfilled')::boolean, false) AS backfilled,
       (e.data->>'rawLength')::integer AS raw_length, (e.data->>'redactedLength')::integer AS redacted_length,
       (e.data->>'latencyMs')::double precision AS latency_ms, (e.data->>'tokens')::integer AS tokens_processed,
       CASE WHEN r.n > 0 THEN 'PII_REDACTED' ELSE 'CLEAN' END AS compliance_flag,
       e.data->'entities' AS entities, (e.data->>'offsetMs')::bigint AS offset_ms
  FROM events e
 CROSS JOIN LATERAL (SELECT coalesce(sum(value::integer), 0) AS n FROM jsonb_each_text(e.data->'entities')) r
 WHERE e.type = 'segment_recorded';

-- what each event adds to its call's summary; summed per call live and on rebuild alike
CREATE VIEW call_summary_events AS
SELECT e.seq, e.stream_id AS conversation_id, e.recorded_at,
       (e.type = 'segment_recorded')::integer AS segment,
       (e.type = 'segment_recorded' AND (e.data->>'isFinal')::boolean)::integer AS final,
       (e.type = 'coverage_gap_recorded')::integer AS gap,
       CASE WHEN e.type = 'coverage_gap_recorded' THEN coalesce((e.data->>'lostCount')::integer, 0) ELSE 0 END AS lost,
       CASE WHEN e.type = 'segment_recorded'
            THEN (SELECT coalesce(sum(value::integer), 0) FROM jsonb_each_text(e.data->'entities')) ELSE 0 END AS redactions,
       CASE WHEN e.type = 'call_ended' THEN e.recorded_at END AS ended_at
  FROM events e
 WHERE e.type IN ('segment_recorded', 'coverage_gap_recorded', 'call_started', 'call_ended');

CREATE VIEW call_summaries_source AS
  SELECT conversation_id, min(recorded_at) AS started_at, max(ended_at) AS ended_at, sum(segment)::integer AS segments,
         sum(final)::integer AS finals, sum(gap)::integer AS gaps, sum(lost)::integer AS lost_messages,
         sum(redactions)::integer AS redactions, max(seq) AS last_seq
    FROM call_summary_events
   GROUP BY conversation_id;

-- Direct writes: none, on the record or on what is projected from it (rebuilds run as the owner), and
-- none on the sequence. The recorder reads; it appends, projects metrics and signs only through the
-- functions granted to it in functions/. chain_anchors is the one table PUBLIC was given nothing on.
REVOKE ALL ON chain_anchors FROM PUBLIC;
GRANT SELECT ON streams, events, progression, audit_log, call_summaries, metrics_windows, metrics_daily,
  chain_checkpoints, chain_anchors, audit_log_source, call_summary_events, call_summaries_source, audit_call_latency,
  audit_gaps, schema_migrations, schema_functions
  TO compliance_recorder;

-- A recorder's role that can CREATE in the store's schema can plant a function or operator that an
-- owner-run function resolves; revoked here, and a schema where it still can (granted through another
-- role, say) fails the migration.
DO $$
BEGIN
  BEGIN
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'CREATE on schema % left as it is: the migrating role does not own it', current_schema();
  END;
  EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM compliance_recorder', current_schema());
  IF has_schema_privilege('compliance_recorder', current_schema(), 'CREATE') THEN
    RAISE EXCEPTION 'compliance_recorder can CREATE in schema %: revoke it (from PUBLIC or the role that grants it) before migrating', current_schema()
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END $$;
