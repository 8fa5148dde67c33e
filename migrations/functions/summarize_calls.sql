-- The same sums twice: over a batch's new events (live, by primary key) and over all events (rebuild).
-- One function with "p_seqs IS NULL OR …" would let a generic plan scan every event on each append.
CREATE OR REPLACE FUNCTION summarize_calls(p_seqs bigint[])
RETURNS SETOF call_summaries LANGUAGE sql STABLE AS $$
  SELECT conversation_id, min(recorded_at), max(ended_at), sum(segment)::integer, sum(final)::integer, sum(gap)::integer,
         sum(lost)::integer, sum(redactions)::integer, max(seq)
    FROM call_summary_events WHERE seq = ANY(p_seqs)
   GROUP BY conversation_id
$$;

-- called only inside the owner's functions (or by the owner)
REVOKE ALL ON FUNCTION summarize_calls(bigint[]) FROM PUBLIC;
