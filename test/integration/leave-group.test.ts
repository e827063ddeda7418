import t from 'tap';
import { leaveGroup } from '../../runtime/kafka/leave-group.js';
import { createTopic, kafka } from '../fixtures/kafka.js';
import { uniqueName, waitFor } from '../helpers/services.js';

/** The group's members once it is Stable. */
async function stableMembers(groupId: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await waitFor(
      `group ${groupId} to be Stable`,
      async () => {
        const group = (await admin.describeGroups([groupId])).groups[0];
        return group?.state === 'Stable' ? group.members.map((m) => m.clientId) : undefined;
      },
      60_000,
    );
  } finally {
    await admin.disconnect();
  }
}

t.test('a consumer stopped right after run(), while it joins, leaves no member behind', async (t) => {
  const topic = uniqueName('leave-group');
  const groupId = uniqueName('leave-group');
  await createTopic(topic, 1);
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic });
  // As when a task is stopped the moment its consumer starts: kafkajs alone would ignore this
  // stop and then finish the join, leaving a member that nothing stops.
  const joining = consumer.run({ eachMessage: async () => undefined });
  await leaveGroup(consumer, joining);

  const next = kafka.consumer({ groupId });
  await next.connect();
  t.teardown(() => next.disconnect());
  await next.subscribe({ topic });
  await next.run({ eachMessage: async () => undefined });
  t.equal((await stableMembers(groupId)).length, 1, 'the group holds only the consumer that joined afterwards');
});
