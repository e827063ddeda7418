-- A change's position gains the order within its second (source_seq: the increment of MongoDB's
-- cluster time), so that changes of one second compare without their Kafka offsets, which do not
-- compare across partitions. epoch is the sink's reprocess.epoch: at an equal position a higher
-- epoch is applied again. rejected_at/rejected_rule mark a row whose newer version was rejected
-- (rejected.version.policy=keep).

ALTER TABLE fact_orders ADD COLUMN IF NOT EXISTS source_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE fact_orders ADD COLUMN IF NOT EXISTS epoch integer NOT NULL DEFAULT 0;
ALTER TABLE fact_orders ADD COLUMN IF NOT EXISTS rejected_at timestamptz;
ALTER TABLE fact_orders ADD COLUMN IF NOT EXISTS rejected_rule text;

ALTER TABLE dim_customers ADD COLUMN IF NOT EXISTS source_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE dim_customers ADD COLUMN IF NOT EXISTS epoch integer NOT NULL DEFAULT 0;
ALTER TABLE dim_customers ADD COLUMN IF NOT EXISTS rejected_at timestamptz;
ALTER TABLE dim_customers ADD COLUMN IF NOT EXISTS rejected_rule text;

ALTER TABLE conflux_sink_tombstones ADD COLUMN IF NOT EXISTS source_seq bigint NOT NULL DEFAULT 0;
-- Tombstones older than tombstones.retention.ms are removed by their age.
CREATE INDEX IF NOT EXISTS conflux_sink_tombstones_age_idx ON conflux_sink_tombstones (source_ts_ms);
