-- Kafka positions of the PostgreSQL sink, written in the same transaction as the rows: the NEXT
-- offset to read per connector, topic and partition.
CREATE TABLE IF NOT EXISTS conflux_sink_offsets (
  connector   text NOT NULL,
  topic       text NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connector, topic, partition)
);

-- Deleted keys with the position of their delete, so that an older change arriving after the
-- delete (a replay, a late partition) cannot bring the row back.
CREATE TABLE IF NOT EXISTS conflux_sink_tombstones (
  target_table  text NOT NULL,
  key           text NOT NULL,
  source_ts_ms  bigint NOT NULL,
  source_offset bigint NOT NULL,
  PRIMARY KEY (target_table, key)
);
