import { BadRequestError, NotFoundError } from '../errors.js';
import type { KafkaOffsetStore } from '../offsets/kafka-store.js';
import { validateOffsetWrites } from '../offsets/offset-value.js';
import type { ConnectorOffset } from '../offsets/sink-group-offsets.js';
import { SinkOffsets } from '../offsets/sink-offsets.js';
import type { SharedAdmin } from '../kafka/shared-admin.js';
import type { ConfigTopicStore } from '../cluster/config-topic-store.js';
import type { StatusTopicStore } from '../cluster/status-topic-store.js';
import type { WorkCatalog } from '../cluster/work-catalog.js';

export interface ClusterOffsetsOptions {
  configs: ConfigTopicStore;
  statuses: StatusTopicStore;
  catalog: WorkCatalog;
  /** Source offsets: the offsets topic, shared by the cluster. */
  offsetStore: KafkaOffsetStore;
  /** Sink offsets: the committed offsets of each sink's consumer group. */
  admin: SharedAdmin;
}

/**
 * A cluster's connector offsets (`GET/PATCH/DELETE /connectors/{name}/offsets`), as Kafka
 * Connect's: a source's in the offsets topic, a sink's in its consumer group. Any worker serves
 * them; writes only while the connector is STOPPED and the status topic shows none of its tasks
 * still running anywhere, so no task overwrites them with its final commit.
 */
export class ClusterOffsets {
  constructor(private readonly o: ClusterOffsetsOptions) {}

  async get(name: string): Promise<ConnectorOffset[]> {
    const { type, sink } = await this.validated(name);
    if (type === 'sink') return sink.read();
    await this.o.offsetStore.refresh();
    return (await this.o.offsetStore.getAll(name)).map((e) => ({ partition: { ...e.partition }, offset: e.offset ? { ...e.offset } : null }));
  }

  async alter(name: string, entries: ConnectorOffset[]): Promise<void> {
    validateOffsetWrites(name, entries);
    const { type, sink } = await this.requireStopped(name);
    if (type === 'sink') return sink.alter(entries);
    await this.o.offsetStore.set(name, entries);
    await this.o.offsetStore.flush();
  }

  async reset(name: string): Promise<void> {
    const { type, sink } = await this.requireStopped(name);
    if (type === 'sink') return sink.reset();
    await this.o.offsetStore.refresh();
    await this.o.offsetStore.deleteAll(name);
    await this.o.offsetStore.flush();
  }

  private async validated(name: string): Promise<{ type: 'source' | 'sink'; sink: SinkOffsets }> {
    if (!this.o.configs.get(name)) throw new NotFoundError(`Connector ${name} not found`);
    const entry = await this.o.catalog.entry(name);
    if (!entry?.ok)
      throw new BadRequestError(`Connector ${name} has a config this worker cannot use: ${entry?.ok === false ? entry.error.message : 'unknown'}`);
    const { definition, config } = entry.validated;
    return { type: definition.type, sink: new SinkOffsets(definition, config, name, () => this.o.admin.client()) };
  }

  private async requireStopped(name: string): Promise<{ type: 'source' | 'sink'; sink: SinkOffsets }> {
    await this.o.configs.readToEnd();
    const entry = this.o.configs.get(name);
    if (!entry) throw new NotFoundError(`Connector ${name} not found`);
    const running = this.o.statuses.tasksOf(name).some((t) => t.state === 'RUNNING' || t.state === 'PAUSED' || t.state === 'RESTARTING');
    if (entry.target !== 'STOPPED' || running) {
      throw new BadRequestError(
        `Connectors must be in the STOPPED state before their offsets can be modified; ${name} is ${entry.target}${entry.target === 'STOPPED' ? ' but its tasks are still stopping' : ''}`,
      );
    }
    return this.validated(name);
  }
}
