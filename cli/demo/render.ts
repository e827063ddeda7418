import type { ProgressSnapshot } from './progress.js';

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const rate = (v: number) => `${v.toFixed(v >= 100 ? 0 : 1)}/s`;
const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const clock = (elapsedMs: number) => {
  const s = Math.floor(elapsedMs / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};
const totalLag = (s: ProgressSnapshot) => Object.values(s.lag).reduce((a, b) => a + b, 0);
const totalParked = (s: ProgressSnapshot) => Object.values(s.parked).reduce((a, b) => a + b, 0);
const latency = (s: ProgressSnapshot) => (s.latency ? `p50 ${ms(s.latency.p50)}  p99 ${ms(s.latency.p99)}` : 'p50 -  p99 -');

/** The progress view as a block of lines, the same every time so that it can be redrawn in place. */
export function frame(s: ProgressSnapshot, status: string): string[] {
  const label = (text: string) => `  ${text.padEnd(18)}`;
  return [
    `conflux demo  ${clock(s.elapsedMs)}  ${status}`,
    `${label('MongoDB')}orders ${n(s.mongo.orders)}  customers ${n(s.mongo.customers)}  (written: ${n(s.mongo.changesWritten)} changes, ${n(s.mongo.ordersCreated)} new orders)`,
    `${label('Kafka')}${Object.entries(s.topics)
      .map(([t, v]) => `${t} ${n(v)}`)
      .join('  ')}`,
    `${label('warehouse')}fact_orders ${n(s.warehouse.orders)}  fact_order_items ${n(s.warehouse.items)}  dim_customers ${n(s.warehouse.customers)}`,
    `${label('dead-lettered')}${n(s.deadLettered)}`,
    `${label('consumer lag')}${Object.entries(s.lag)
      .map(([c, v]) => `${c} ${n(v)}${s.parked[c] ? ` (${n(s.parked[c])} parked)` : ''}`)
      .join('  ')}`,
    `${label('throughput')}MongoDB ${rate(s.throughput.mongo)}  into the warehouse ${rate(s.throughput.warehouse)}`,
    `${label('end-to-end')}${latency(s)}`,
  ];
}

/** The progress as one line, for logs and pipes. */
export function line(s: ProgressSnapshot, status: string): string {
  return (
    `[${clock(s.elapsedMs)}] ${status}: mongo orders=${s.mongo.orders} customers=${s.mongo.customers} changes=${s.mongo.changesWritten}` +
    ` | kafka ${Object.entries(s.topics)
      .map(([t, v]) => `${t}=${v}`)
      .join(' ')}` +
    ` | warehouse orders=${s.warehouse.orders} items=${s.warehouse.items} customers=${s.warehouse.customers}` +
    ` | dlq=${s.deadLettered} lag=${totalLag(s)} parked=${totalParked(s)} | ${rate(s.throughput.mongo)} in, ${rate(s.throughput.warehouse)} out | ${latency(s)}`
  );
}

/** Shows snapshots on a stream: redrawn in place on a terminal, one line per `plainEveryMs` otherwise. */
export interface ProgressView {
  show(s: ProgressSnapshot, status: string): void;
  /** Prints text below the view, which is not redrawn over afterwards. */
  print(text: string): void;
}

interface Out {
  write(text: string): unknown;
  /** Width of the terminal, when known. */
  readonly columns?: number;
}

/**
 * Redraws the frame over the previous one: cursor up by its height, clear to the end of the screen.
 * Lines are cut to the terminal's width, since a wrapped line would make the frame taller than
 * the cursor moves back.
 */
export class TtyView implements ProgressView {
  private height = 0;
  constructor(private readonly out: Out) {}

  show(s: ProgressSnapshot, status: string): void {
    const width = this.out.columns && this.out.columns > 1 ? this.out.columns - 1 : Infinity;
    const lines = frame(s, status).map((l) => (l.length > width ? l.slice(0, width) : l));
    this.out.write(`${this.height > 0 ? `\x1b[${this.height}A` : ''}\x1b[J${lines.join('\n')}\n`);
    this.height = lines.length;
  }

  print(text: string): void {
    this.out.write(`${text}\n`);
    this.height = 0;
  }
}

/** Appends a line at most every `everyMs` (and whenever the status changes), so a log stays readable. */
export class PlainView implements ProgressView {
  private lastAt = -Infinity;
  private lastStatus: string | undefined;
  constructor(
    private readonly out: Out,
    private readonly everyMs: number,
  ) {}

  show(s: ProgressSnapshot, status: string): void {
    // A new status is always shown, so the line before a summary says where things ended.
    if (s.elapsedMs - this.lastAt < this.everyMs && status === this.lastStatus) return;
    this.lastAt = s.elapsedMs;
    this.lastStatus = status;
    this.out.write(`${line(s, status)}\n`);
  }

  print(text: string): void {
    this.out.write(`${text}\n`);
  }
}
