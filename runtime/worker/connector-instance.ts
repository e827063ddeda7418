import type { ConnectorDefinition, TaskProgress } from '../api/index.js';
import { parseList, type CommonConnectorConfig } from '../config/connector-schema.js';
import type { TransformSpec } from '../config/validate.js';
import type { RestartBackoff } from './restart-policy.js';
import type { ObservedState, TargetState } from '../tasks/status.js';
import type { TaskRunner } from '../tasks/task-runner.js';

/** Raw connector config as given by the user: string values, placeholders unresolved. */
export type RawConfig = Readonly<Record<string, string>>;

export type ValidatedConfig = {
  definition: ConnectorDefinition;
  config: CommonConnectorConfig & Record<string, unknown>;
  transforms: readonly TransformSpec[];
};

/** A validated config and the values to scrub once it is in use: resolved placeholders and declared secrets. */
export type Validated = ValidatedConfig & { secrets: string[] };

export interface ConnectorInfo {
  name: string;
  config: RawConfig;
  tasks: Array<{ connector: string; task: number }>;
  type: 'source' | 'sink';
}

/** One task of a connector on this worker and the runner that currently runs it, if any. */
export interface TaskSlot {
  id: number;
  config: unknown;
  state: ObservedState;
  trace?: string;
  /** Set until the runner's `run()` settled, also while it is being stopped. */
  runner?: TaskRunner;
  /** The runner being stopped on request: its end is not a failure to restart from. */
  stopping?: TaskRunner;
  /** What the current runner's task last reported through `ctx.reportProgress`. */
  progress?: { entries: TaskProgress[] };
  backoff: RestartBackoff;
  restartTimer?: NodeJS.Timeout;
}

/** A connector on this worker: its config, desired state, observed state and task slots. */
export interface ConnectorInstance extends ValidatedConfig {
  name: string;
  raw: RawConfig;
  target: TargetState;
  state: ObservedState;
  trace?: string;
  tasks: TaskSlot[];
  /** Distributed mode: the ids of the tasks this worker runs; standalone (undefined): all. */
  owned?: ReadonlySet<number>;
}

/** A failure as Kafka Connect shows it in a status: the stack with every cause. */
export function traceOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let trace = err.stack ?? `${err.name}: ${err.message}`;
  let cause = err.cause;
  while (cause instanceof Error) {
    trace += `\nCaused by: ${cause.stack ?? cause.message}`;
    cause = cause.cause;
  }
  return trace;
}

/** Names of the topics a connector reads from or writes to (known statically from its config). */
export function connectorTopics(c: ValidatedConfig): string[] {
  if (c.definition.type === 'sink') return parseList(c.config.topics as string | undefined);
  const topic = c.config.topic ?? c.config['topic.prefix'];
  return typeof topic === 'string' ? parseList(topic) : [];
}
