/**
 * PostgreSQL COPY text format: columns separated by tabs, rows by newlines, NULL as \N, and
 * backslash, tab, newline and carriage return escaped with a backslash. Values travel only as
 * COPY data, never inside SQL text.
 */
const SPECIAL = /[\\\t\n\r]/;

/** A value COPY can carry: text, a number, or NULL. */
export type CopyValue = string | number | bigint | null | undefined;

export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value !== 'string') return String(value);
  if (!SPECIAL.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

export function copyRow(values: ReadonlyArray<CopyValue>): string {
  let row = copyField(values[0]);
  for (let i = 1; i < values.length; i++) row += `\t${copyField(values[i])}`;
  return `${row}\n`;
}
