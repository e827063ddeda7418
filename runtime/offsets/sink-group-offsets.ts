import type { Admin } from 'kafkajs';
import { BadRequestError } from '../errors.js';

/** One KIP-875 offset entry as the REST API shows it. */
export interface ConnectorOffset {
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
}

/*
 * A sink connector's offsets are its consumer group's (`connect-<name>`) committed positions,
 * shown and changed in Kafka Connect's shape: `{kafka_topic, kafka_partition}` -> `{kafka_offset}`.
 */

const groupOf = (connector: string) => `connect-${connector}`;

export async function fetchSinkOffsets(admin: Admin, connector: string, topics: string[]): Promise<ConnectorOffset[]> {
  const groups = await admin.fetchOffsets({ groupId: groupOf(connector), topics });
  return groups.flatMap((g) =>
    g.partitions
      .filter((p) => p.offset !== '-1')
      .map((p) => ({ partition: { kafka_topic: g.topic, kafka_partition: p.partition }, offset: { kafka_offset: Number(p.offset) } })),
  );
}

/** Kafka refuses this while the group has members: call it only with the connector stopped. */
export async function alterSinkOffsets(admin: Admin, connector: string, entries: readonly ConnectorOffset[]): Promise<void> {
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const e of entries) {
    const topic = e.partition.kafka_topic;
    const partition = e.partition.kafka_partition;
    const offset = e.offset?.kafka_offset;
    if (typeof topic !== 'string' || typeof partition !== 'number') {
      throw new BadRequestError('sink connector offsets need partition.kafka_topic (string) and partition.kafka_partition (number)');
    }
    if (e.offset !== null && typeof offset !== 'number') throw new BadRequestError('sink connector offsets need offset.kafka_offset (number) or null');
    const list = byTopic.get(topic) ?? [];
    // Kafka has no "delete one partition's committed offset"; null rewinds it to the start.
    list.push({ partition, offset: e.offset === null ? '-2' : String(offset) });
    byTopic.set(topic, list);
  }
  for (const [topic, partitions] of byTopic) {
    // '-2' is Kafka's "earliest" for that partition alone; other partitions stay as they are.
    await admin.setOffsets({ groupId: groupOf(connector), topic, partitions });
  }
}

export async function resetSinkOffsets(admin: Admin, connector: string): Promise<void> {
  await admin.deleteGroups([groupOf(connector)]).catch((err: Error & { groups?: Array<{ errorCode: number }> }) => {
    // GROUP_ID_NOT_FOUND (69): nothing was committed, which is already the reset state.
    if (!err.groups?.every((g) => g.errorCode === 69)) throw err;
  });
}
