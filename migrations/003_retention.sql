-- Crypto-shredding (#16). Transcript text is stored in events sealed with a data key of its own per call
-- (per day for quarantined frames); the keys live here, wrapped by a master key the database never sees.
-- This is the one store table whose rows change: destroying a key overwrites its wrapped bytes with NULL,
-- and only when an appended event orders it (shred_data_keys checks), so the record says who erased what.
CREATE TABLE data_keys (
  key_id         text PRIMARY KEY,
  stream_id      text        NOT NULL,
  wrapped        bytea,
  master_key_id  text,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  rewrapped_at   timestamptz,
  -- set from the event that ordered the destruction: its time, its type (call_erased, call_expired), its seq
  destroyed_at   timestamptz,
  destroyed_by   text,
  destroyed_seq  bigint,
  CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL)),
  CHECK ((wrapped IS NULL) = (master_key_id IS NULL))
);
CREATE INDEX data_keys_stream ON data_keys (stream_id);

-- The events that order a key destroyed, found by the key they name. They are few, so the index is small.
CREATE INDEX events_key_orders ON events ((data->>'keyId'), seq) WHERE type IN ('call_erased', 'call_expired');
-- Calls tagged with a customer identifier (its keyed hash), for erasure by customer.
CREATE INDEX events_customer_tags ON events ((data->>'customerHash')) WHERE type = 'customer_tagged';

-- Legal holds placed and not lifted, from their events in the $holds stream.
CREATE VIEW legal_holds AS
SELECT p.data->>'holdId' AS hold_id, p.data->>'scope' AS scope, p.data->>'target' AS target, p.data->>'reason' AS reason,
       p.data->>'who' AS placed_by, (p.data->>'at')::timestamptz AS placed_at
  FROM events p
 WHERE p.type = 'legal_hold_placed'
   AND NOT EXISTS (SELECT 1 FROM events l WHERE l.type = 'legal_hold_lifted' AND l.data->>'holdId' = p.data->>'holdId');

-- Each scope's policy in force (queue_id NULL: the default), the latest set in the $retention stream.
CREATE VIEW retention_policies AS
SELECT DISTINCT ON (data->>'queueId') data->>'queueId' AS queue_id, (data->>'days')::integer AS days,
       data->>'who' AS set_by, (data->>'at')::timestamptz AS set_at
  FROM events WHERE type = 'retention_policy_set'
 ORDER BY data->>'queueId', seq DESC;

-- Every call with what retention, holds and erasure go by: when it started (as the recorder heard it; the
-- stream's creation when no call_started was recorded), its queue and agent when its events name them,
-- and whether its key is destroyed.
CREATE VIEW retained_calls AS
SELECT s.id AS conversation_id, coalesce(c.started_at, s.created_at) AS started_at, c.queue_id, c.agent_id,
       k.destroyed_at, k.destroyed_by
  FROM streams s
  LEFT JOIN (SELECT DISTINCT ON (stream_id) stream_id, (data->>'at')::timestamptz AS started_at,
                    data->>'queueId' AS queue_id, data->>'agentId' AS agent_id
               FROM events WHERE type = 'call_started' ORDER BY stream_id, seq) c ON c.stream_id = s.id
  LEFT JOIN data_keys k ON k.key_id = s.id
 WHERE left(s.id, 1) <> '$';

-- Which holds keep a call: by the call itself, its queue or its agent.
CREATE VIEW held_calls AS
SELECT r.conversation_id, h.hold_id, h.scope, h.target
  FROM retained_calls r
  JOIN legal_holds h ON (h.scope = 'call' AND h.target = r.conversation_id)
                     OR (h.scope = 'queue' AND h.target = r.queue_id)
                     OR (h.scope = 'agent' AND h.target = r.agent_id);

-- The recorder reads wrapped keys (it decrypts on read) and writes them only through the functions in
-- functions/ (create_data_keys, shred_data_keys, rewrap_data_keys).
REVOKE ALL ON data_keys FROM PUBLIC;
GRANT SELECT ON data_keys, legal_holds, retention_policies, retained_calls, held_calls TO compliance_recorder;
