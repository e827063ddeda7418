/**
 * Serialises a JSON value with object keys sorted, so that `{a:1,b:2}` and `{b:2,a:1}` name the
 * same source partition. Connectors build partition objects by hand and key order is incidental.
 */
export function stableKey(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
