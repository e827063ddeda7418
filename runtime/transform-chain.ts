import type { ConnectRecord } from './api/records.js';
import type { Predicate, Transform } from './api/transform.js';
import { ConfigError, StageError } from './errors.js';
import type { TransformLookup, TransformSpec } from './config/validate.js';

interface Stage {
  readonly alias: string;
  readonly transform: Transform;
  readonly predicate?: Predicate;
  readonly predicateAlias?: string;
  readonly negate: boolean;
}

/**
 * The ordered single-message transforms of one task, like Kafka Connect's TransformationChain.
 * One chain belongs to one task and is used sequentially (transforms may keep per-task state).
 */
export interface TransformChain {
  /** Stage aliases in order, for logs and metrics. */
  readonly aliases: readonly string[];
  /**
   * Runs `record` through every stage whose predicate matches. Resolves to `null` when a stage
   * dropped it. A failing stage rejects with a `StageError` whose `stage` is
   * `transform:<alias>` or `predicate:<alias>` and whose `cause` is the original error.
   */
  apply<R extends ConnectRecord>(record: R): Promise<R | null>;
  /**
   * The same as `apply` for the runners' batch loops: returns without a promise while every stage
   * that runs is synchronous (most are), and a promise from the first stage that returns one on.
   * A failing synchronous stage throws the `StageError` instead of rejecting.
   */
  run<R extends ConnectRecord>(record: R): R | null | Promise<R | null>;
  /** True when the chain has no stages: `run` returns its input. */
  readonly empty: boolean;
  /** Closes every stage, even when some fail; rejects with an AggregateError of the failures. */
  close(): Promise<void>;
}

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

class Chain implements TransformChain {
  readonly aliases: readonly string[];
  readonly empty: boolean;

  constructor(private readonly stages: readonly Stage[]) {
    this.aliases = Object.freeze(stages.map((s) => s.alias));
    this.empty = stages.length === 0;
  }

  async apply<R extends ConnectRecord>(record: R): Promise<R | null> {
    return this.run(record);
  }

  run<R extends ConnectRecord>(record: R): R | null | Promise<R | null> {
    return this.runFrom(0, record);
  }

  private runFrom<R extends ConnectRecord>(first: number, record: R): R | null | Promise<R | null> {
    let current = record;
    for (let i = first; i < this.stages.length; i++) {
      const stage = this.stages[i]!;
      if (stage.predicate && !this.matches(stage, current)) continue;
      let out: R | null | Promise<R | null>;
      try {
        out = stage.transform.apply(current);
      } catch (err) {
        throw new StageError(`transform:${stage.alias}`, err);
      }
      if (isThenable(out)) return this.continueAfter(i, stage, out);
      if (out === null) return null;
      current = out;
    }
    return current;
  }

  /** The slow path: awaits an asynchronous stage, then goes on synchronously where it can. */
  private async continueAfter<R extends ConnectRecord>(index: number, stage: Stage, pending: Promise<R | null>): Promise<R | null> {
    let next: R | null;
    try {
      next = await pending;
    } catch (err) {
      throw new StageError(`transform:${stage.alias}`, err);
    }
    return next === null ? null : this.runFrom(index + 1, next);
  }

  private matches(stage: Stage, record: ConnectRecord): boolean {
    let matches: boolean;
    try {
      matches = stage.predicate!.test(record);
    } catch (err) {
      throw new StageError(`predicate:${stage.predicateAlias ?? ''}`, err);
    }
    return matches !== stage.negate;
  }

  async close(): Promise<void> {
    await closeStages(this.stages);
  }
}

async function closeStages(stages: readonly Stage[]): Promise<void> {
  const failures: unknown[] = [];
  for (const stage of stages) {
    try {
      await stage.transform.close?.();
    } catch (err) {
      failures.push(new StageError(`transform:${stage.alias}`, err));
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `closing ${failures.length} transform(s) failed`);
}

/**
 * Instantiates the transforms declared by a validated connector config (`transforms` of
 * `validateConnectorConfig`). Each predicate alias gets one instance shared by the stages that
 * name it. A plugin that cannot be found or refuses its config raises a `ConfigError` naming the
 * key, after closing the stages already created.
 */
export async function buildTransformChain(specs: readonly TransformSpec[], lookup: TransformLookup): Promise<TransformChain> {
  const stages: Stage[] = [];
  const predicates = new Map<string, Predicate>();
  try {
    for (const spec of specs) {
      let predicate: Predicate | undefined;
      if (spec.predicate) {
        const p = spec.predicate;
        predicate = predicates.get(p.alias);
        if (!predicate) {
          const def = lookup.predicate(p.type);
          if (!def) throw new ConfigError([{ key: `predicates.${p.alias}.type`, message: `unknown predicate "${p.type}"` }]);
          predicate = create(() => def.create(p.config), `predicates.${p.alias}`);
          predicates.set(p.alias, predicate);
        }
      }
      const def = lookup.transform(spec.type);
      if (!def) throw new ConfigError([{ key: `transforms.${spec.alias}.type`, message: `unknown transform "${spec.type}"` }]);
      const transform = create(() => def.create(spec.config), `transforms.${spec.alias}`);
      stages.push({
        alias: spec.alias,
        transform,
        negate: spec.negate,
        ...(predicate && spec.predicate ? { predicate, predicateAlias: spec.predicate.alias } : {}),
      });
    }
  } catch (err) {
    await closeStages(stages).catch(() => {
      // The build error is what the user must fix; close failures of half-built stages add nothing.
    });
    throw err;
  }
  return new Chain(stages);
}

function create<T>(factory: () => T, keyPrefix: string): T {
  try {
    return factory();
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new ConfigError(err.errors.map((e) => ({ key: e.key ? `${keyPrefix}.${e.key}` : `${keyPrefix}.type`, message: e.message })), { cause: err });
    }
    throw err;
  }
}
