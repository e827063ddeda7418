-- The orders warehouse. Every change carries its source position (source_ts_ms: the change's
-- cluster time in epoch ms; source_offset: its Kafka offset, which orders changes of one key with
-- the same cluster time, including a source's replays). The sink applies a change only when its
-- position is newer than the row's, so a replayed or late older change never overwrites a newer one.

CREATE TABLE IF NOT EXISTS dim_customers (
  customer_id   text PRIMARY KEY,
  name          text NOT NULL,
  email         text,
  segment       text,
  city          text,
  country       text,
  created_at    timestamptz,
  updated_at    timestamptz,
  source_ts_ms  bigint NOT NULL,
  source_offset bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS fact_orders (
  order_id          text PRIMARY KEY,
  customer_id       text NOT NULL,
  customer_name     text,
  customer_email    text,
  customer_segment  text,
  status            text NOT NULL,
  item_count        integer NOT NULL,
  total             numeric NOT NULL,
  currency          char(3) NOT NULL,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  source_event_time timestamptz NOT NULL,
  ingest_time       timestamptz NOT NULL DEFAULT now(),
  source_ts_ms      bigint NOT NULL,
  source_offset     bigint NOT NULL
);

-- Orders of a customer, orders by status, orders of a day (a range on created_at uses the btree).
CREATE INDEX IF NOT EXISTS fact_orders_customer_id_idx ON fact_orders (customer_id);
CREATE INDEX IF NOT EXISTS fact_orders_status_idx ON fact_orders (status);
CREATE INDEX IF NOT EXISTS fact_orders_created_at_idx ON fact_orders (created_at);

CREATE TABLE IF NOT EXISTS fact_order_items (
  order_id   text NOT NULL,
  line       integer NOT NULL,
  sku        text NOT NULL,
  name       text NOT NULL,
  quantity   integer NOT NULL,
  unit_price numeric NOT NULL,
  PRIMARY KEY (order_id, line)
);

CREATE INDEX IF NOT EXISTS fact_order_items_sku_idx ON fact_order_items (sku);
