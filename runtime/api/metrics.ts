/**
 * Plugin-defined metrics. The runtime already measures what every task has in common (records
 * polled/put, batch sizes, latencies, errors); plugins add only what is specific to them.
 *
 * Names are prefixed and labelled with connector and task by the runtime; asking twice for the same
 * name returns the same instrument.
 */
export interface TaskMetrics {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string): Gauge;
  /** `buckets` are upper bounds in the unit of the observed values (seconds by convention). */
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram;
  /**
   * A counter with labels of the plugin's own besides connector and task: `labels` names them,
   * and the function returned gives the counter of one set of values. Keep the values few (a
   * bounded set, such as collections); each set is a time series of its own.
   */
  labeledCounter(name: string, help: string, labels: readonly string[]): (values: Readonly<Record<string, string>>) => Counter;
}

export interface Counter {
  /** Adds `n` (default 1, must be >= 0). */
  inc(n?: number): void;
}

export interface Gauge {
  set(value: number): void;
}

export interface Histogram {
  observe(value: number): void;
}

const noopInstrument = Object.freeze({ inc() {}, set() {}, observe() {} });

/** Metrics that record nothing; handy in unit tests of plugins. */
export const noopMetrics: TaskMetrics = Object.freeze({
  counter: () => noopInstrument,
  gauge: () => noopInstrument,
  histogram: () => noopInstrument,
  labeledCounter: () => () => noopInstrument,
});
