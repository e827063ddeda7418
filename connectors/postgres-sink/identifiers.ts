/**
 * PostgreSQL identifiers taken from config. Only plain names are accepted (letters, digits,
 * underscores, at most 63 bytes, PostgreSQL's NAMEDATALEN limit), so a quote, a semicolon or a dot
 * is refused by validation; they are still always quoted, which keeps their case and lets reserved
 * words through safely.
 */
export const IDENTIFIER_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,62}$';

const identifier = new RegExp(IDENTIFIER_PATTERN);

export function isIdentifier(name: string): boolean {
  return identifier.test(name);
}

/** `"name"`; throws for anything that is not a plain identifier (config validation refuses it first). */
export function quoteIdent(name: string): string {
  if (!isIdentifier(name)) throw new TypeError(`not a valid identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}
