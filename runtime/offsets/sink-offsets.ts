import type { Admin } from 'kafkajs';
import type { ConnectorDefinition, SinkOffset } from '../api/index.js';
import { parseList } from '../config/connector-schema.js';
import { BadRequestError } from '../errors.js';
import { alterSinkOffsets, fetchSinkOffsets, resetSinkOffsets, type ConnectorOffset } from './sink-group-offsets.js';

/**
 * A sink connector's offsets for the KIP-875 endpoints. A sink that keeps its offsets with its data
 * (its definition has `offsets`) is read and changed there, since it seeks to them on every
 * assignment; its consumer group is changed too, so that monitoring tools agree. Any other sink's
 * offsets are its consumer group's.
 */
export class SinkOffsets {
  constructor(
    private readonly definition: ConnectorDefinition,
    private readonly config: Readonly<Record<string, unknown>>,
    private readonly name: string,
    private readonly admin: () => Promise<Admin>,
  ) {}

  private get store() {
    return this.definition.type === 'sink' ? this.definition.offsets : undefined;
  }

  async read(): Promise<ConnectorOffset[]> {
    const topics = parseList(this.config.topics as string | undefined);
    if (!this.store) return fetchSinkOffsets(await this.admin(), this.name, topics);
    const stored = await this.store.read(this.config as never, this.name, topics);
    return stored
      .filter((o) => o.offset !== null)
      .map((o) => ({ partition: { kafka_topic: o.topic, kafka_partition: o.partition }, offset: { kafka_offset: Number(o.offset) } }));
  }

  async alter(entries: readonly ConnectorOffset[]): Promise<void> {
    if (this.store) await this.store.alter(this.config as never, this.name, entries.map(toSinkOffset));
    await alterSinkOffsets(await this.admin(), this.name, entries);
  }

  async reset(): Promise<void> {
    await this.store?.reset(this.config as never, this.name);
    await resetSinkOffsets(await this.admin(), this.name);
  }
}

function toSinkOffset(e: ConnectorOffset): SinkOffset {
  const topic = e.partition.kafka_topic;
  const partition = e.partition.kafka_partition;
  const offset = e.offset?.kafka_offset;
  if (typeof topic !== 'string' || typeof partition !== 'number') {
    throw new BadRequestError('sink connector offsets need partition.kafka_topic (string) and partition.kafka_partition (number)');
  }
  if (e.offset !== null && (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0)) {
    throw new BadRequestError('sink connector offsets need offset.kafka_offset (a number >= 0) or null');
  }
  return { topic, partition, offset: e.offset === null ? null : String(offset) };
}
