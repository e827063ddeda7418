import { MongoClient, type Db } from 'mongodb';
import type { OffsetReader, SourceRecord, SourceTask, SourceTaskContext, TaskProgress } from '../../runtime/api/index.js';
import { CollectionReader } from './collection-reader.js';
import type { MongoSourceTaskConfig } from './config.js';
import { RecordShape } from './events.js';
import { sourceMetrics, type SourceMetrics } from './source-metrics.js';
import { checkChangeStreamTopology, connectError } from './topology.js';

/**
 * One task: a reader per collection (its share of it when tasks.max > 1), polled in turn. Each
 * poll gives every reader a part of poll.await.time.ms, so an idle task returns an empty batch in
 * time and a busy collection cannot starve the others beyond one batch.
 */
export class MongoSourceTask implements SourceTask<MongoSourceTaskConfig> {
  private client: MongoClient | undefined;
  private readers: CollectionReader[] = [];
  private metrics: SourceMetrics | undefined;
  private ctx: SourceTaskContext | undefined;
  private config!: MongoSourceTaskConfig;
  private next = 0;

  async start(ctx: SourceTaskContext, config: MongoSourceTaskConfig, offsets: OffsetReader): Promise<void> {
    // start() is retried after a retriable failure: a second call starts from a clean slate.
    await this.stop();
    this.config = config;
    this.ctx = ctx;
    this.metrics = sourceMetrics(ctx.metrics);
    let client: MongoClient;
    try {
      client = new MongoClient(config.uri, { appName: `conflux-${ctx.connector}-${ctx.taskId}`, serverSelectionTimeoutMS: 15_000 });
    } catch (err) {
      throw connectError(err, config.uri);
    }
    this.client = client;
    try {
      const hello = await client.db('admin').command({ hello: 1 });
      checkChangeStreamTopology(hello);
    } catch (err) {
      await this.stop();
      if ((err as { kind?: string }).kind === 'config') throw err;
      throw connectError(err, config.uri);
    }
    await ctx.ensureTopics(
      config.collections.map((plan) => ({
        topic: plan.topic,
        partitions: config.topicPartitions,
        ...(plan.compacted ? { config: { 'cleanup.policy': 'compact' } } : {}),
      })),
    );
    const db = client.db(config.database);
    const awaitTimeMs = Math.max(10, Math.floor(config.awaitTimeMs / Math.max(1, config.collections.length)));
    this.readers = config.collections.map((plan) => {
      const partition = Object.freeze({ db: config.database, collection: plan.collection, ...(config.share ? { share: `${config.share.index}/${config.share.count}` } : {}) });
      return new CollectionReader({
        connector: ctx.connector,
        collection: db.collection(plan.collection),
        shape: new RecordShape(config.database, plan, partition),
        config,
        logger: ctx.logger,
        metrics: this.metrics!,
        clusterTimeMs: () => lastWriteMs(db),
        awaitTimeMs,
      });
    });
    for (const reader of this.readers) await reader.open(offsets.offset(reader.partition));
    this.report();
  }

  async poll(signal: AbortSignal): Promise<SourceRecord[]> {
    const out: SourceRecord[] = [];
    const n = this.readers.length;
    // Start with a different reader each time, so a collection with a full batch does not always go first.
    for (let i = 0; i < n && !signal.aborted && out.length < this.config.maxBatchSize; i++) {
      await this.readers[(this.next + i) % n]!.read(out, this.config.maxBatchSize - out.length);
    }
    this.next = (this.next + 1) % Math.max(1, n);
    this.report();
    return out;
  }

  async stop(): Promise<void> {
    const readers = this.readers;
    const client = this.client;
    this.readers = [];
    this.client = undefined;
    await Promise.allSettled(readers.map((r) => r.close()));
    await client?.close().catch(() => undefined);
  }

  private report(): void {
    const now = Date.now();
    let oldest = now;
    let remaining = 0;
    const progress: TaskProgress[] = [];
    for (const reader of this.readers) {
      oldest = Math.min(oldest, reader.positionTimeMs);
      const snapshot = reader.snapshotProgress;
      if (!snapshot) continue;
      remaining += Math.max(0, snapshot.total - snapshot.copied);
      progress.push({ phase: 'snapshot', source: reader.name, done: snapshot.copied, total: snapshot.total });
    }
    this.metrics?.positionAge.set((now - oldest) / 1000);
    this.metrics?.snapshotRemaining.set(remaining);
    this.ctx?.reportProgress(progress);
  }
}

/** The cluster time of the server's last write (`hello`'s lastWrite on replica sets), or now. */
async function lastWriteMs(db: Db): Promise<number> {
  const hello = await db.admin().command({ hello: 1 });
  const ts = (hello.lastWrite as { opTime?: { ts?: { high?: number } } } | undefined)?.opTime?.ts;
  return typeof ts?.high === 'number' ? ts.high * 1000 : Date.now();
}
