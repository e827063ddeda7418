import type { Static, TSchema } from 'typebox';
import type { ConnectRecord } from './records.js';

/**
 * A single-message transform instance.
 *
 * `apply` is called for one record at a time, in record order, never concurrently. It returns a
 * new record (see `withRecord`), the same record unchanged, or `null` to drop it. It must not
 * mutate its input. Throwing a `DataError` (or any non-retriable error) rejects this record (dead
 * letter or task failure, per `errors.tolerance`); a `RetriableError` makes the runtime retry.
 *
 * The method is generic so one transform serves source and sink records alike: copy the record
 * with `withRecord` and the source offset or Kafka position stays attached.
 */
export interface Transform {
  apply<R extends ConnectRecord>(record: R): R | null | Promise<R | null>;
  /** Releases resources (caches, clients). Called once, when the chain is discarded. */
  close?(): void | Promise<void>;
}

/** A transform plugin, registered in `transforms/index.ts` and named in `transforms.<alias>.type`. */
export interface TransformDefinition<C = unknown> {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** TypeBox object schema of the keys under `transforms.<alias>.`, prefix removed. */
  readonly config: TSchema;
  /** Builds one instance from its validated, frozen config. Throw `ConfigError` for bad values. */
  create(config: C): Transform;
}

/**
 * A condition that decides whether a transform applies to a record (`transforms.<alias>.predicate`).
 * `test` is synchronous, pure and must not throw for well-formed records.
 */
export interface Predicate {
  test(record: ConnectRecord): boolean;
}

/** A predicate plugin, named in `predicates.<alias>.type`. */
export interface PredicateDefinition<C = unknown> {
  readonly name: string;
  readonly description: string;
  /** TypeBox object schema of the keys under `predicates.<alias>.`, prefix removed. */
  readonly config: TSchema;
  create(config: C): Predicate;
}

/** Types a transform definition from its config schema. */
export function defineTransform<S extends TSchema>(
  def: TransformDefinition<Static<S>> & { readonly config: S },
): TransformDefinition<Static<S>> {
  return Object.freeze(def);
}

/** Types a predicate definition from its config schema. */
export function definePredicate<S extends TSchema>(
  def: PredicateDefinition<Static<S>> & { readonly config: S },
): PredicateDefinition<Static<S>> {
  return Object.freeze(def);
}
