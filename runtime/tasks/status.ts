/**
 * Desired state is what an operator asked for; observed state is what a connector or task is
 * actually doing. They are separate types on purpose (Kafka Connect's TargetState vs
 * AbstractStatus.State): a task asked to run may be FAILED, a paused one may still be draining.
 */
export type TargetState = 'RUNNING' | 'PAUSED' | 'STOPPED';

import type { TaskProgress } from '../api/index.js';

export type ObservedState = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'RESTARTING';

export interface TaskStatus {
  id: number;
  state: ObservedState;
  worker_id: string;
  /** Stack trace of the failure; present only when state is FAILED. */
  trace?: string;
  /**
   * A conflux addition to Kafka Connect's shape: what the running task reported through
   * `ctx.reportProgress` (e.g. a snapshot's documents copied); absent when nothing is under way.
   */
  progress?: TaskProgress[];
}

/** The body of `GET /connectors/:name/status`, exactly as Kafka Connect returns it. */
export interface ConnectorStatus {
  name: string;
  connector: { state: ObservedState; worker_id: string; trace?: string };
  tasks: TaskStatus[];
  type: 'source' | 'sink';
}

/** The observed state a healthy task settles in for a given desired state. */
export function settledState(target: TargetState): ObservedState {
  return target;
}
