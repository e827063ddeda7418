import type { ConnectRecord } from '../api/records.js';
import { silentLogger } from '../api/logger.js';
import { noopMetrics } from '../api/metrics.js';
import type { LookupTables, Predicate, Transform, TransformContext } from '../api/transform.js';
import { ConfigError, StageError } from '../errors.js';
import type { TransformLookup, TransformSpec } from '../config/validate.js';
import { isPromise } from '../support/is-promise.js';

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
  /**
   * Runs `record` from stage `index` on (the `resume` of a StageError): a record a stage could not
   * decide yet is tried again without running the stages before it again.
   */
  resume<R extends ConnectRecord>(index: number, record: R): R | null | Promise<R | null>;
  /** Closes every stage, even when some fail; rejects with an AggregateError of the failures. */
  close(): Promise<void>;
}

class Chain implements TransformChain {
  readonly aliases: readonly string[];
  readonly empty: boolean;

  constructor(
    private readonly stages: readonly Stage[],
    private readonly release: () => Promise<void>,
  ) {
    this.aliases = Object.freeze(stages.map((s) => s.alias));
    this.empty = stages.length === 0;
  }

  async apply<R extends ConnectRecord>(record: R): Promise<R | null> {
    return this.run(record);
  }

  run<R extends ConnectRecord>(record: R): R | null | Promise<R | null> {
    return this.runFrom(0, record);
  }

  resume<R extends ConnectRecord>(index: number, record: R): R | null | Promise<R | null> {
    return this.runFrom(index, record);
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
        throw new StageError(`transform:${stage.alias}`, err, { index: i, input: current });
      }
      if (isPromise(out)) return this.continueAfter(i, stage, out, current);
      if (out === null) return null;
      current = out;
    }
    return current;
  }

  /** The slow path: awaits an asynchronous stage, then goes on synchronously where it can. */
  private async continueAfter<R extends ConnectRecord>(index: number, stage: Stage, pending: PromiseLike<R | null>, input: R): Promise<R | null> {
    let next: R | null;
    try {
      next = await pending;
    } catch (err) {
      throw new StageError(`transform:${stage.alias}`, err, { index, input });
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
    try {
      await closeStages(this.stages);
    } finally {
      await this.release();
    }
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
 * Lookup tables handed to one chain: `release` gives back every view the chain opened (the
 * worker's table registry implements it; see runtime/lookup-tables).
 */
export interface ChainTables extends LookupTables {
  release(): Promise<void>;
}

/** What the chain's transforms get in `create(config, ctx)`. */
export interface ChainContext {
  readonly logger: TransformContext['logger'];
  readonly metrics: TransformContext['metrics'];
  readonly tables?: ChainTables;
}

const noTables: ChainTables = {
  open: async (topic) => {
    throw new ConfigError(`lookup tables are not available in this runtime (a transform asked for topic ${topic})`);
  },
  release: async () => undefined,
};

/**
 * Instantiates the transforms declared by a validated connector config (`transforms` of
 * `validateConnectorConfig`). Each predicate alias gets one instance shared by the stages that
 * name it. A plugin that cannot be found or refuses its config raises a `ConfigError` naming the
 * key, after closing the stages already created. Transforms that open lookup tables are created
 * only once their tables are restored, so no record is transformed against a partial table.
 */
export async function buildTransformChain(
  specs: readonly TransformSpec[],
  lookup: TransformLookup,
  context: ChainContext = { logger: silentLogger, metrics: noopMetrics },
): Promise<TransformChain> {
  const tables = context.tables ?? noTables;
  const ctx: TransformContext = Object.freeze({ logger: context.logger, metrics: context.metrics, tables: { open: (topic: string) => tables.open(topic) } });
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
      const transform = await createAsync(() => def.create(spec.config, ctx), `transforms.${spec.alias}`);
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
    await tables.release().catch(() => undefined);
    throw err;
  }
  return new Chain(stages, () => tables.release());
}

function create<T>(factory: () => T, keyPrefix: string): T {
  try {
    return factory();
  } catch (err) {
    throw prefixed(err, keyPrefix);
  }
}

async function createAsync<T>(factory: () => T | Promise<T>, keyPrefix: string): Promise<T> {
  try {
    return await factory();
  } catch (err) {
    throw prefixed(err, keyPrefix);
  }
}

function prefixed(err: unknown, keyPrefix: string): unknown {
  if (err instanceof ConfigError) {
    return new ConfigError(
      err.errors.map((e) => ({ key: e.key ? `${keyPrefix}.${e.key}` : `${keyPrefix}.type`, message: e.message })),
      { cause: err },
    );
  }
  return err;
}
