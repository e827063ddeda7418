import type { Registry } from 'prom-client';

/** A latency histogram summed over a connector's tasks: cumulative counts per finite upper bound (seconds); `count` is all. */
export interface HistogramSummary {
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sum: number;
}

/** One connector's numbers on this worker, summed over its tasks: cumulative counters and current gauges. */
export interface ConnectorSummary {
  sourceRecordsPolled: number;
  sourceRecordsProduced: number;
  sinkRecordsConsumed: number;
  sinkRecordsWritten: number;
  recordsDeadLettered: number;
  recordsFiltered: number;
  errors: number;
  tasksRunning: number;
  recordsParked: number;
  consumerLag: Array<{ topic: string; partition: number; records: number }>;
  watermarkLagSeconds: Record<string, number>;
  endToEndLatency: HistogramSummary;
}

const COUNTERS: Record<string, keyof ConnectorSummary> = {
  conflux_source_records_polled_total: 'sourceRecordsPolled',
  conflux_source_records_produced_total: 'sourceRecordsProduced',
  conflux_sink_records_consumed_total: 'sinkRecordsConsumed',
  conflux_sink_records_written_total: 'sinkRecordsWritten',
  conflux_records_dead_lettered_total: 'recordsDeadLettered',
  conflux_records_filtered_total: 'recordsFiltered',
  conflux_errors_total: 'errors',
  conflux_task_running: 'tasksRunning',
  conflux_sink_records_parked: 'recordsParked',
};

function empty(): ConnectorSummary {
  return {
    sourceRecordsPolled: 0,
    sourceRecordsProduced: 0,
    sinkRecordsConsumed: 0,
    sinkRecordsWritten: 0,
    recordsDeadLettered: 0,
    recordsFiltered: 0,
    errors: 0,
    tasksRunning: 0,
    recordsParked: 0,
    consumerLag: [],
    watermarkLagSeconds: {},
    endToEndLatency: { buckets: [], count: 0, sum: 0 },
  };
}

/**
 * The worker's metrics per connector, as JSON a chart can use without parsing Prometheus text:
 * the browser console samples it and derives rates and windowed percentiles from the differences.
 */
export async function connectorSummaries(registry: Registry): Promise<Record<string, ConnectorSummary>> {
  const out: Record<string, ConnectorSummary> = {};
  const of = (connector: unknown) => (out[String(connector)] ??= empty());
  for (const metric of await registry.getMetricsAsJSON()) {
    const field = COUNTERS[metric.name];
    for (const v of metric.values) {
      const labels = v.labels as Record<string, string | number | undefined>;
      if (labels['connector'] === undefined) continue;
      const s = of(labels['connector']);
      if (field) (s[field] as number) += v.value;
      else if (metric.name === 'conflux_sink_consumer_lag_records') {
        s.consumerLag.push({ topic: String(labels['topic']), partition: Number(labels['partition']), records: v.value });
      } else if (metric.name === 'conflux_sink_watermark_lag_seconds') {
        const topic = String(labels['topic']);
        // The least caught-up task of the topic speaks for it.
        s.watermarkLagSeconds[topic] = Math.max(s.watermarkLagSeconds[topic] ?? 0, v.value);
      } else if (metric.name === 'conflux_end_to_end_latency_seconds') {
        addHistogramValue(s.endToEndLatency, (v as { metricName?: string }).metricName ?? '', labels, v.value);
      }
    }
  }
  for (const s of Object.values(out)) s.consumerLag.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return out;
}

function addHistogramValue(h: HistogramSummary, series: string, labels: Record<string, string | number | undefined>, value: number): void {
  if (series.endsWith('_bucket')) {
    // The +Inf bucket is `count`; JSON has no Infinity.
    if (labels['le'] === '+Inf') return;
    const le = Number(labels['le']);
    const bucket = h.buckets.find((b) => b.le === le);
    if (bucket) bucket.count += value;
    else {
      h.buckets.push({ le, count: value });
      h.buckets.sort((a, b) => a.le - b.le);
    }
  } else if (series.endsWith('_count')) h.count += value;
  else if (series.endsWith('_sum')) h.sum += value;
}
