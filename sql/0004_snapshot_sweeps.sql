-- Completed source snapshots as the PostgreSQL sink has read them (snapshot.sweep.topics): one row
-- per partition whose marker was written, in the same transaction as the rows before it and the
-- offsets. Once every partition of the topic has its row, the snapshot is complete in the
-- warehouse, and the rows of its kind whose position is still older than the snapshot's start
-- (neither copied nor changed since: the collection no longer has them) are deleted, once, as the
-- sweeps row records.
CREATE TABLE IF NOT EXISTS conflux_sink_snapshots (
  connector  text NOT NULL,
  topic      text NOT NULL,
  start_ms   bigint NOT NULL,
  start_seq  bigint NOT NULL,
  partition  integer NOT NULL,
  partitions integer NOT NULL,
  marked_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connector, topic, start_ms, start_seq, partition)
);

CREATE TABLE IF NOT EXISTS conflux_sink_snapshot_sweeps (
  connector    text NOT NULL,
  topic        text NOT NULL,
  start_ms     bigint NOT NULL,
  start_seq    bigint NOT NULL,
  target_table text NOT NULL,
  rows_deleted bigint NOT NULL,
  swept_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connector, topic, start_ms, start_seq)
);
