import type { TSchema } from 'typebox';

/**
 * Schema keyword that marks a config field as secret. Secret values are hidden in REST responses
 * and logs, and are expected to be given as `${env:NAME}` / `${file:/path:key}` placeholders.
 */
export const SECRET_KEYWORD = 'x-secret';

/** A schema carrying the secret marker. */
export type TSecret<T extends TSchema> = T & { readonly 'x-secret': true; readonly writeOnly: true };

/**
 * Marks a config field as secret: `Secret(Type.String({ description: '...' }))`.
 *
 * TypeBox keeps modifiers (`Optional`, its kind) in non-enumerable properties; copying the
 * property descriptors keeps them, so `Type.Optional(Secret(...))` and `Secret(Type.Optional(...))`
 * both work. `writeOnly` is the standard JSON Schema way to say the same, for OpenAPI readers.
 */
export function Secret<T extends TSchema>(schema: T): TSecret<T> {
  const copy = Object.create(Object.getPrototypeOf(schema) as object | null, Object.getOwnPropertyDescriptors(schema));
  Object.defineProperty(copy, SECRET_KEYWORD, { value: true, enumerable: true, configurable: true, writable: false });
  Object.defineProperty(copy, 'writeOnly', { value: true, enumerable: true, configurable: true, writable: false });
  return copy as TSecret<T>;
}

/** True when `schema` was marked with {@link Secret}. */
export function isSecretSchema(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && (schema as Record<string, unknown>)[SECRET_KEYWORD] === true;
}

/**
 * Schema keyword that marks a config field as literal-only: its value becomes a name (a Kafka
 * topic, a metric label), so a `${env:..}`/`${file:..}` placeholder there is refused before it is
 * resolved, and a secret can never be turned into a topic anyone with access to Kafka lists.
 */
export const LITERAL_KEYWORD = 'x-literal';

/** Marks a config field as literal-only: `LiteralOnly(Type.String({ description: '...' }))`. */
export function LiteralOnly<T extends TSchema>(schema: T): T & { readonly 'x-literal': true } {
  const copy = Object.create(Object.getPrototypeOf(schema) as object | null, Object.getOwnPropertyDescriptors(schema));
  Object.defineProperty(copy, LITERAL_KEYWORD, { value: true, enumerable: true, configurable: true, writable: false });
  return copy as T & { readonly 'x-literal': true };
}

/** True when `schema` was marked with {@link LiteralOnly}. */
export function isLiteralOnlySchema(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && (schema as Record<string, unknown>)[LITERAL_KEYWORD] === true;
}
