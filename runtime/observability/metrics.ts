import client from 'prom-client';
import type { TaskMetrics } from '../api/index.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const BATCH_BUCKETS = [1, 5, 10, 50, 100, 500, 1000, 5000];

/**
 * The worker's Prometheus metrics. One registry per worker (not prom-client's global one) so that
 * tests can run several workers in one process. Every series carries `connector` and `task`.
 */
export class WorkerMetrics {
  readonly registry = new client.Registry();
  private readonly labels = ['connector', 'task'] as const;

  readonly recordsPolled = this.counter('source_records_polled_total', 'Records returned by source tasks poll()');
  readonly recordsProduced = this.counter('source_records_produced_total', 'Records acknowledged by Kafka for source tasks');
  readonly recordsConsumed = this.counter('sink_records_consumed_total', 'Records read from Kafka by sink tasks');
  readonly recordsWritten = this.counter('sink_records_written_total', 'Records handed to sink tasks put() and flushed');
  readonly recordsFiltered = this.counter('records_filtered_total', 'Records dropped by a transform (null result)');
  readonly errors = new client.Counter({
    name: 'conflux_errors_total',
    help: 'Failures by stage (poll, transform, convert, produce, put, flush) and outcome',
    labelNames: [...this.labels, 'stage', 'outcome'],
    registers: [this.registry],
  });
  readonly taskRestarts = this.counter('task_restarts_total', 'Automatic restarts of failed tasks');
  readonly taskStarts = this.counter(
    'task_starts_total',
    'Task starts on this worker: the first, every restart, and each time a rebalance hands the task to this worker',
  );
  readonly deadLettered = this.counter('records_dead_lettered_total', 'Records sent to the dead-letter topic');
  readonly batchSize = new client.Histogram({
    name: 'conflux_batch_size_records',
    help: 'Records per poll() or put() batch',
    labelNames: [...this.labels, 'direction'],
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  readonly putLatency = this.histogram('sink_put_seconds', 'Duration of sink put() calls');
  readonly flushLatency = this.histogram('sink_flush_seconds', 'Duration of sink flush() calls');
  readonly offsetCommitLatency = this.histogram('offset_commit_seconds', 'Duration of offset commits');
  readonly endToEndLatency = this.histogram(
    'end_to_end_latency_seconds',
    'From the source event time (record timestamp) to the sink commit; up to 100 evenly spaced records per batch are observed',
  );
  readonly consumerLag = new client.Gauge({
    name: 'conflux_sink_consumer_lag_records',
    help: 'High watermark minus the next offset to read, per partition',
    labelNames: [...this.labels, 'topic', 'partition'],
    registers: [this.registry],
  });
  readonly recordsParked = new client.Gauge({
    name: 'conflux_sink_records_parked',
    help: 'Records a transform could not decide yet (NotYetError), waiting per key while other keys go on',
    labelNames: this.labels,
    registers: [this.registry],
  });
  readonly parkedSeconds = new client.Histogram({
    name: 'conflux_sink_parked_seconds',
    help: 'How long records stayed parked before they were decided (passed on, dropped or rejected)',
    labelNames: this.labels,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly parkingFull = new client.Gauge({
    name: 'conflux_sink_parking_full',
    help: '1 while the parked records of a task are at their bound (parking.max.records or parking.max.bytes) and fetching waits',
    labelNames: this.labels,
    registers: [this.registry],
  });
  readonly watermarkLag = new client.Gauge({
    name: 'conflux_sink_watermark_lag_seconds',
    help: "Now minus the topic's watermark (the event time up to which its source has written everything), over the task's partitions",
    labelNames: [...this.labels, 'topic'],
    registers: [this.registry],
  });
  readonly taskState = new client.Gauge({
    name: 'conflux_task_running',
    help: '1 when the task is RUNNING, else 0',
    labelNames: this.labels,
    registers: [this.registry],
  });

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'conflux_process_' });
  }

  /** The metrics handle given to a plugin: its own instruments, labelled with its connector and task. */
  forTask(connector: string, task: number): TaskMetrics {
    const labels = { connector, task: String(task) };
    const name = (n: string) => `conflux_plugin_${n.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    const existing = <T>(n: string) => this.registry.getSingleMetric(name(n)) as T | undefined;
    return {
      counter: (n, help) => {
        const m = existing<client.Counter>(n) ?? new client.Counter({ name: name(n), help, labelNames: this.labels, registers: [this.registry] });
        return { inc: (v = 1) => m.inc(labels, v) };
      },
      gauge: (n, help) => {
        const m = existing<client.Gauge>(n) ?? new client.Gauge({ name: name(n), help, labelNames: this.labels, registers: [this.registry] });
        return { set: (v) => m.set(labels, v) };
      },
      histogram: (n, help, buckets) => {
        const m =
          existing<client.Histogram>(n) ??
          new client.Histogram({ name: name(n), help, labelNames: this.labels, buckets: buckets ? [...buckets] : LATENCY_BUCKETS, registers: [this.registry] });
        return { observe: (v) => m.observe(labels, v) };
      },
      labeledCounter: (n, help, own) => {
        const m = existing<client.Counter>(n) ?? new client.Counter({ name: name(n), help, labelNames: [...this.labels, ...own], registers: [this.registry] });
        return (values) => {
          // connector and task first (the order of the exposition), and never overridden.
          const all: Record<string, string> = { ...labels };
          for (const [k, v] of Object.entries(values)) if (!(k in all)) all[k] = v;
          return { inc: (v = 1) => m.inc(all, v) };
        };
      },
    };
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  private counter(name: string, help: string) {
    return new client.Counter({ name: `conflux_${name}`, help, labelNames: this.labels, registers: [this.registry] });
  }

  private histogram(name: string, help: string) {
    return new client.Histogram({ name: `conflux_${name}`, help, labelNames: this.labels, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  }
}
