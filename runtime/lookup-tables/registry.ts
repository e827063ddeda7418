import type { Kafka } from 'kafkajs';
import type { Logger, LookupTable } from '../api/index.js';
import type { Converter } from '../converters/index.js';
import type { ChainTables } from '../tasks/transform-chain.js';
import { TopicView } from './topic-view.js';

interface Shared {
  view: Promise<TopicView>;
  users: number;
}

/**
 * The lookup tables of one worker: one {@link TopicView} per topic, shared by every task whose
 * transforms open it and stopped when the last of them releases it. The first opener's converters
 * decode the view (connectors joining the same topic are expected to agree on its format).
 */
export class LookupTableRegistry {
  private readonly shared = new Map<string, Shared>();

  /** `topicWaitMs`: how long opening a table waits for its topic to exist (see {@link TopicView}). */
  constructor(private readonly o: { kafka: Kafka; logger: Logger; workerId: string; topicWaitMs?: number }) {}

  /** The tables handed to one transform chain; `release` gives back what the chain opened. */
  forChain(keyConverter: Converter, valueConverter: Converter): ChainTables {
    const opened: string[] = [];
    return {
      open: async (topic: string): Promise<LookupTable> => {
        const view = await this.acquire(topic, keyConverter, valueConverter);
        opened.push(topic);
        return view;
      },
      release: async () => {
        const topics = opened.splice(0);
        await Promise.all(topics.map((topic) => this.releaseOne(topic)));
      },
    };
  }

  /** Number of views held, for tests and metrics. */
  get views(): number {
    return this.shared.size;
  }

  private async acquire(topic: string, keyConverter: Converter, valueConverter: Converter): Promise<TopicView> {
    let entry = this.shared.get(topic);
    if (!entry) {
      const view = new TopicView({
        kafka: this.o.kafka,
        topic,
        keyConverter,
        valueConverter,
        logger: this.o.logger,
        workerId: this.o.workerId,
        ...(this.o.topicWaitMs !== undefined ? { topicWaitMs: this.o.topicWaitMs } : {}),
      });
      const started = view.start().then(
        () => view,
        async (err: unknown) => {
          // A failed restore is forgotten so that the next task start tries again.
          this.shared.delete(topic);
          await view.stop();
          throw err;
        },
      );
      entry = { view: started, users: 0 };
      this.shared.set(topic, entry);
    }
    entry.users += 1;
    try {
      return await entry.view;
    } catch (err) {
      entry.users -= 1;
      throw err;
    }
  }

  private async releaseOne(topic: string): Promise<void> {
    const entry = this.shared.get(topic);
    if (!entry) return;
    entry.users -= 1;
    if (entry.users > 0) return;
    this.shared.delete(topic);
    await (await entry.view).stop();
  }

  /** Stops every view (worker shutdown). */
  async close(): Promise<void> {
    const entries = [...this.shared.values()];
    this.shared.clear();
    await Promise.allSettled(entries.map(async (e) => (await e.view).stop()));
  }
}
