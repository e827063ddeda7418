import { MongoClient } from 'mongodb';
import type { OffsetReader, SourceRecord, SourceTask, SourceTaskContext, TaskProgress } from '../../runtime/api/index.js';
import { CollectionReader } from './collection-reader.js';
import { IncrementalSnapshotReader } from './incremental-snapshot.js';
import { ReadsInFlight } from './reads-in-flight.js';
import type { MongoSourceTaskConfig } from './config.js';
import { startingOffset } from './retasking.js';
import { SchemaDrift } from './schema-drift.js';
import { RecordShape } from './events.js';
import { sourceMetrics, type SourceMetrics } from './source-metrics.js';
import { checkChangeStreamTopology, connectError } from './topology.js';

/**
 * One task: a reader per collection (its share of it when tasks.max > 1), read at once (see
 * ReadsInFlight). A poll returns as soon as one collection has records, or empty after
 * poll.await.time.ms, so a quiet collection never holds back a busy one, and each collection
 * gives at most its share of poll.max.batch.size to a poll, so a busy one cannot starve the others.
 */
export class MongoSourceTask implements SourceTask<MongoSourceTaskConfig> {
  private client: MongoClient | undefined;
  private readers: CollectionReader[] = [];
  private metrics: SourceMetrics | undefined;
  private ctx: SourceTaskContext | undefined;
  private config!: MongoSourceTaskConfig;
  private reads: ReadsInFlight | undefined;
  private incremental: IncrementalSnapshotReader | undefined;

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
        ...(plan.compacted ? { config: config.compactedTopicConfig } : {}),
      })),
    );
    const db = client.db(config.database);
    const awaitTimeMs = config.awaitTimeMs;
    this.readers = config.collections.map((plan) => {
      const partition = Object.freeze({
        db: config.database,
        collection: plan.collection,
        ...(config.share ? { share: `${config.share.index}/${config.share.count}` } : {}),
      });
      return new CollectionReader({
        connector: ctx.connector,
        collection: db.collection(plan.collection),
        shape: new RecordShape(
          config.database,
          plan,
          partition,
          plan.documentSchema && new SchemaDrift(plan.documentSchema, plan.collection, config.schemaDrift, ctx.logger, ctx.metrics),
        ),
        config,
        logger: ctx.logger,
        metrics: this.metrics!,
        db,
        awaitTimeMs,
      });
    });
    const stored = offsets.stored();
    this.incremental = new IncrementalSnapshotReader({
      connector: ctx.connector,
      db,
      config,
      shapes: new Map(this.readers.map((r) => [r.collectionName, r.shape])),
      stored,
      logger: ctx.logger,
      metrics: this.metrics,
    });
    for (const reader of this.readers) {
      const start = startingOffset(stored, reader.partition);
      if (start.inheritedFrom !== undefined) {
        ctx.logger.info(
          `${reader.name} has no stored position of its own (tasks.max changed): it continues from the oldest position of the ${start.inheritedFrom} share(s) it replaces`,
          { replacedShares: start.inheritedFrom, offset: start.offset },
        );
      }
      await reader.open(start.offset, start.inheritedFrom !== undefined);
    }
    this.reads = new ReadsInFlight(Math.max(1, Math.floor(config.maxBatchSize / Math.max(1, this.readers.length))));
    this.report();
  }

  async poll(_signal: AbortSignal): Promise<SourceRecord[]> {
    // The incremental snapshots read beside the streams: one chunk per poll, the changes flowing on.
    const out = await this.reads!.poll([...this.readers, this.incremental!]);
    this.report();
    return out;
  }

  async stop(): Promise<void> {
    const readers = this.readers;
    const client = this.client;
    this.readers = [];
    this.incremental = undefined;
    this.client = undefined;
    this.reads?.clear();
    this.reads = undefined;
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
    for (const s of this.incremental?.progress ?? []) {
      progress.push({
        phase: `incremental snapshot ${s.id}`,
        source: `${this.config.database}.${s.collection}`,
        done: s.documents,
        ...(s.total !== undefined ? { total: s.total } : {}),
      });
    }
    this.metrics?.positionAge.set((now - oldest) / 1000);
    this.metrics?.snapshotRemaining.set(remaining);
    this.ctx?.reportProgress(progress);
  }
}
