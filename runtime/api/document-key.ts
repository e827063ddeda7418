/**
 * The one string encoding of a document id that the record key, the sink's row id and lookup
 * tables share, so that a delete, an upsert and a reference to the same document meet. It takes
 * the id as canonical Extended JSON values (what `EJSON.serialize(id, { relaxed: false })` gives,
 * or `JSON.parse` of a canonical Extended JSON text), so it needs no BSON library:
 *
 * - an ObjectId (`{"$oid": ...}`): its 24 lowercase hex digits;
 * - a string: itself, unless it is empty or could be read as another id's encoding (24 lowercase
 *   hex digits, a leading `{` or `"`, or `true`/`false`/`null`): then JSON-quoted, so the string
 *   "65a1...0f" and the ObjectId 65a1...0f stay two documents;
 * - anything else (numbers, dates, embedded documents, binaries, booleans, null): its canonical
 *   Extended JSON text, e.g. `{"$numberInt":"1"}`, `{"$date":{"$numberLong":"1767225600000"}}`.
 *
 * Distinct ids give distinct strings: only quoted strings start with `"`, only other types with
 * `{` (or are `true`/`false`/`null`), only ObjectIds are bare 24-hex. MongoDB treats 1, 1.0 and
 * NumberLong(1) as one `_id`; their encodings differ, so a reference must use its target's type.
 */
export function documentKey(id: unknown): string {
  if (typeof id === 'string') return needsQuotes(id) ? JSON.stringify(id) : id;
  if (id !== null && typeof id === 'object' && !Array.isArray(id)) {
    const oid = (id as { $oid?: unknown }).$oid;
    if (typeof oid === 'string' && Object.keys(id).length === 1) return oid.toLowerCase();
  }
  return JSON.stringify(id ?? null);
}

const OBJECT_ID_HEX = /^[0-9a-f]{24}$/;

function needsQuotes(s: string): boolean {
  return s === '' || OBJECT_ID_HEX.test(s) || s.startsWith('{') || s.startsWith('"') || s === 'true' || s === 'false' || s === 'null';
}

/**
 * The id a {@link documentKey} string stands for, as a canonical Extended JSON value: its inverse,
 * for a record key read back (a dead letter to replay).
 */
export function documentIdOf(key: string): unknown {
  if (OBJECT_ID_HEX.test(key)) return { $oid: key };
  if (key.startsWith('"') || key.startsWith('{') || key === 'true' || key === 'false' || key === 'null') return JSON.parse(key) as unknown;
  return key;
}
