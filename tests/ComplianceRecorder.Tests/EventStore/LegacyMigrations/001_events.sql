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
CREATE INDEX events_type_seq ON events (type, seq);

-- Immutability is the database's to enforce, not the application's good manners.
CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- The bytes the hash chain covers. verify recomputes them from the stored columns.
CREATE FUNCTION event_canonical(p_stream text, p_version integer, p_type text, p_schema integer, p_data jsonb, p_meta jsonb)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT convert_to(p_stream || E'\n' || p_version || E'\n' || p_type || E'\n' || p_schema || E'\n'
                    || p_data::text || E'\n' || p_meta::text, 'UTF8')
$$;

CREATE TABLE progression (
  name        text PRIMARY KEY,
  last_seq    bigint      NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- A role that can only append and read. The recorder may run as it; grants leave no other door.
DO $$
BEGIN
  CREATE ROLE compliance_recorder NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
GRANT SELECT, INSERT ON streams, events TO compliance_recorder;
GRANT UPDATE ON streams TO compliance_recorder;
GRANT USAGE ON SEQUENCE events_seq TO compliance_recorder;
GRANT SELECT, INSERT, UPDATE ON progression TO compliance_recorder;
