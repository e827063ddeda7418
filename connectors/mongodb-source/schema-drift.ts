import type { Document } from 'mongodb';
import { keyOf } from './bson.js';
import { FatalError, type Counter, type Logger, type RecordSchema, type TaskMetrics } from '../../runtime/api/index.js';

export type DriftPolicy = 'ignore' | 'warn' | 'fail';

/** Fields of a record schema, with the record schemas nested below each (through unions and arrays). */
interface Shape {
  readonly fields: ReadonlyMap<string, Shape | undefined>;
}

/** Distinct drifting fields given a label of their own per collection; the rest count as `(other)`. */
const MAX_LABELLED_FIELDS = 100;

/**
 * Fields that MongoDB documents carry but the collection's Avro schema (value.schema.<collection>)
 * does not: the typed record drops them, so they are counted per collection and field
 * (`schema_drift_fields_total`), logged once per field (`schema.drift=warn`), or fail the task
 * (`fail`) rather than vanish unseen.
 */
export class SchemaDrift {
  private readonly shape: Shape;
  private readonly seen = new Set<string>();
  private readonly counters = new Map<string, Counter>();
  private readonly count: (values: Readonly<Record<string, string>>) => Counter;

  constructor(
    schema: RecordSchema,
    private readonly collection: string,
    private readonly policy: DriftPolicy,
    private readonly logger: Logger,
    metrics: TaskMetrics,
  ) {
    this.shape = shapeOf(schema, new Map()) ?? { fields: new Map() };
    this.count = metrics.labeledCounter(
      'schema_drift_fields_total',
      'Document fields not in the collection schema (dropped from the typed record), by collection and field.',
      ['collection', 'field'],
    );
  }

  /** Checks one document (an insert's or update's full document) against the schema. */
  check(doc: Document): void {
    if (this.policy === 'ignore') return;
    this.walk(doc, this.shape, '', doc);
  }

  private walk(doc: Document, shape: Shape, prefix: string, root: Document): void {
    for (const key of Object.keys(doc)) {
      const path = prefix + key;
      if (!shape.fields.has(key)) {
        this.drifted(path, root);
        continue;
      }
      const nested = shape.fields.get(key);
      if (!nested) continue;
      const value = doc[key] as unknown;
      for (const item of Array.isArray(value) ? value : [value]) {
        if (isPlainDocument(item)) this.walk(item, nested, `${path}.`, root);
      }
    }
  }

  private drifted(path: string, root: Document): void {
    if (this.policy === 'fail') {
      // The id is spelled only for the message: the check runs on every typed document.
      throw new FatalError(
        `a document of ${this.collection} (_id ${keyOf(root._id)}) has the field ${path}, which its schema (value.schema.${this.collection}) does not declare, and schema.drift=fail: ` +
          'add the field to the schema (as an optional union with null, a compatible change), or set schema.drift=warn to drop it from the records',
      );
    }
    if (!this.seen.has(path) && this.seen.size < MAX_LABELLED_FIELDS) {
      this.seen.add(path);
      this.logger.warn(
        `documents of ${this.collection} have the field ${path}, which value.schema.${this.collection} does not declare: it is left out of the records (schema.drift=warn; counted in conflux_plugin_schema_drift_fields_total)`,
        { collection: this.collection, field: path },
      );
    }
    const label = this.seen.has(path) ? path : '(other)';
    let counter = this.counters.get(label);
    if (!counter) {
      counter = this.count({ collection: this.collection, field: label });
      this.counters.set(label, counter);
    }
    counter.inc();
  }
}

function isPlainDocument(v: unknown): v is Document {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && (v as { _bsontype?: unknown })._bsontype === undefined && !(v instanceof Date);
}

/** The record shape of an Avro type, following unions, arrays and named references; undefined for other types. */
function shapeOf(type: unknown, named: Map<string, Shape>): Shape | undefined {
  if (typeof type === 'string') return named.get(type);
  if (Array.isArray(type)) {
    for (const member of type) {
      const shape = shapeOf(member, named);
      if (shape) return shape;
    }
    return undefined;
  }
  if (type === null || typeof type !== 'object') return undefined;
  const t = type as { type?: unknown; name?: unknown; fields?: unknown; items?: unknown };
  if (t.type === 'array') return shapeOf(t.items, named);
  if (t.type !== 'record' || !Array.isArray(t.fields)) return typeof t.type === 'object' ? shapeOf(t.type, named) : undefined;
  const fields = new Map<string, Shape | undefined>();
  const shape: Shape = { fields };
  if (typeof t.name === 'string') named.set(t.name, shape);
  for (const field of t.fields as Array<{ name: string; type: unknown }>) fields.set(field.name, shapeOf(field.type, named));
  return shape;
}
