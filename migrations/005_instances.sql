-- Several recorders on one store (#15). Membership: each instance's row, renewed by its heartbeat. An
-- instance whose lease_until has passed may be declared lapsed by any live one (claim_calls does it, under
-- the row's lock); from then on its generation is fenced: every append checks (writer_fence, in the append's
-- transaction, under the same row lock) that the writer's row still holds that generation and is not lapsed,
-- so a declaration and a late append from the lapsed instance cannot both happen. A lease that ran out with
-- nobody declaring it (a lone instance, slowed down) is simply renewed by the next heartbeat. These rows
-- change (heartbeats, holders): they are coordination, not the record.
CREATE SEQUENCE instance_generations;

CREATE TABLE recorder_instances (
  name          text PRIMARY KEY,
  generation    bigint      NOT NULL,
  mode          text        NOT NULL CHECK (mode IN ('active-active', 'partitioned')),
  -- calls this instance may follow at once (its Genesys topics), for the budget one OAuth client shares
  capacity      integer     NOT NULL,
  joined_at     timestamptz NOT NULL,
  heartbeat_at  timestamptz NOT NULL,
  lease_until   timestamptz NOT NULL,
  -- stopping: its calls are handed to others while it still follows them
  leaving       boolean     NOT NULL DEFAULT false,
  -- declared gone (its lease ran out and another instance saw it, or it left): this generation never writes again
  lapsed_at     timestamptz
);

-- Who follows each call: an owner and, in active-active, a standby, both following it and both appending,
-- each with when it began. generation counts changes of holders. A row goes once the call's end is recorded.
-- gap_from/gap_to: time no live holder followed the call (its holders lapsed), waiting to be handed to a
-- holder, which records it as a gap (gap_to NULL: until that holder began).
CREATE TABLE call_leases (
  conversation_id  text PRIMARY KEY,
  owner            text,
  owner_since      timestamptz,
  standby          text,
  standby_since    timestamptz,
  generation       bigint      NOT NULL DEFAULT 1,
  claimed_at       timestamptz NOT NULL,
  changed_at       timestamptz NOT NULL,
  gap_from         timestamptz,
  gap_to           timestamptz
);
CREATE INDEX call_leases_owner ON call_leases (owner);
CREATE INDEX call_leases_standby ON call_leases (standby);

REVOKE ALL ON recorder_instances, call_leases, instance_generations FROM PUBLIC;
GRANT SELECT ON recorder_instances, call_leases TO compliance_recorder;
