import { api } from './api.js';

/** Samples kept: two minutes at one sample each 2 s would be 60; five minutes is 150. */
const KEEP = 150;
export const SAMPLE_MS = 2000;
/** Latency percentiles are taken over this many sample intervals (10 s). */
const LATENCY_WINDOW = 5;

/**
 * Samples `GET /metrics/connectors` while someone listens, and turns the cumulative counters into
 * per-second rates and the latency histogram into windowed percentiles, per connector.
 */
class Sampler {
  samples = [];
  listeners = new Set();
  timer = undefined;

  subscribe(fn) {
    this.listeners.add(fn);
    if (!this.timer) {
      void this.tick();
      this.timer = setInterval(() => void this.tick(), SAMPLE_MS);
    }
    if (this.samples.length > 0) fn(this);
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  async tick() {
    try {
      const sample = await api('GET', '../metrics/connectors');
      this.samples.push(sample);
      if (this.samples.length > KEEP) this.samples.shift();
      for (const fn of this.listeners) fn(this);
    } catch {
      // A failed sample is a gap in the charts; the views show the API's errors themselves.
    }
  }

  latest(name) {
    return this.samples.at(-1)?.connectors[name];
  }

  /** Per sample interval: { t, v } with v the per-second rate of a counter. */
  rate(name, field) {
    const points = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1];
      const b = this.samples[i];
      const dt = (b.time - a.time) / 1000;
      const va = a.connectors[name]?.[field];
      const vb = b.connectors[name]?.[field];
      if (vb === undefined || dt <= 0) continue;
      // A restarted task starts its counters again: no negative rates.
      points.push({ t: b.time, v: Math.max(0, (vb - (va ?? 0)) / dt) });
    }
    return points;
  }

  gauge(name, read) {
    return this.samples.filter((s) => s.connectors[name]).map((s) => ({ t: s.time, v: read(s.connectors[name]) }));
  }

  /** End-to-end latency quantile over the last LATENCY_WINDOW intervals, at each sample; null without records. */
  latency(name, q) {
    const points = [];
    // The first points use the samples there are, so the chart starts with the second sample.
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[Math.max(0, i - LATENCY_WINDOW)].connectors[name]?.endToEndLatency;
      const b = this.samples[i].connectors[name]?.endToEndLatency;
      if (!b) continue;
      points.push({ t: this.samples[i].time, v: quantile(b, a, q) });
    }
    return points;
  }
}

/** Prometheus's histogram_quantile over the observations between two cumulative snapshots. */
export function quantile(now, before, q) {
  const count = now.count - (before?.count ?? 0);
  if (count <= 0) return null;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const bucket of now.buckets) {
    const c = bucket.count - (before?.buckets.find((b) => b.le === bucket.le)?.count ?? 0);
    if (c >= rank) return lower + (bucket.le - lower) * ((rank - below) / Math.max(1, c - below));
    lower = bucket.le;
    below = c;
  }
  return lower;
}

export const sampler = new Sampler();
export const lagOf = (summary) => summary.consumerLag.reduce((n, p) => n + p.records, 0);
export const watermarkLagOf = (summary) => Math.max(0, ...Object.values(summary.watermarkLagSeconds));
