/**
 * What the PostgreSQL sink writes: record values shaped for the warehouse, as the transforms
 * ParseOrder (+ EnrichCustomer) and ParseCustomer produce them from CDC envelopes. Money is a
 * decimal string (exact), times are epoch milliseconds. `source_ts_ms` is the change's cluster
 * time; with the record's Kafka offset it forms the source position that orders changes of a key.
 */
export interface WarehouseOrder {
  readonly order_id: string;
  readonly customer_id: string;
  readonly customer_name: string | null;
  readonly customer_email: string | null;
  readonly customer_segment: string | null;
  readonly status: string;
  readonly currency: string;
  readonly total: string;
  readonly item_count: number;
  readonly created_at: number;
  readonly updated_at: number;
}

export interface WarehouseOrderItem {
  readonly line: number;
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unit_price: string;
}

export interface WarehouseCustomer {
  readonly customer_id: string;
  readonly name: string;
  readonly email: string | null;
  readonly segment: string | null;
  readonly city: string | null;
  readonly country: string | null;
  readonly created_at: number | null;
  readonly updated_at: number | null;
}

interface Change {
  /** The document id (primary key in the warehouse). */
  readonly id: string;
  readonly source_ts_ms: number;
  /**
   * Orders changes within one `source_ts_ms` (the increment of MongoDB's cluster time, from the
   * record's event time), so that changes in one second compare without their Kafka offsets,
   * which do not compare across partitions. 0 when the source gave none.
   */
  readonly source_seq?: number;
}

export type OrderChange = Change & { readonly kind: 'order' } & (
    { readonly op: 'upsert'; readonly order: WarehouseOrder; readonly items: readonly WarehouseOrderItem[] } | { readonly op: 'delete' }
  );

export type CustomerChange = Change & { readonly kind: 'customer' } & (
    { readonly op: 'upsert'; readonly customer: WarehouseCustomer } | { readonly op: 'delete' }
  );

export type WarehouseChange = OrderChange | CustomerChange;

/**
 * A version of a document that the pipeline rejected (dead-lettered) instead of writing: the sink
 * applies `rejected.version.policy` to the older row it would otherwise keep.
 */
export interface RejectedChange {
  readonly kind: 'order' | 'customer';
  readonly op: 'reject';
  readonly id: string;
  readonly source_ts_ms: number;
  readonly source_seq?: number;
  /** The reason, as in conflux.error.message: it starts with the rule that was broken. */
  readonly rule: string;
}
