import type { Consumer } from 'kafkajs';

/**
 * Disconnects a kafkajs group consumer after the join it may have in progress.
 *
 * kafkajs ignores a stop while its consumer is still joining its group (the runner counts as
 * running only once joined), and the join then completes into a member that nothing stops: it
 * keeps its partitions, heartbeats, and keeps the process alive. `joining` is the promise of the
 * consumer's run(), which settles once the group is joined; the disconnect waits for it.
 */
export async function leaveGroup(consumer: Consumer, joining: Promise<unknown> | undefined): Promise<void> {
  await joining?.catch(() => undefined);
  await consumer.disconnect();
}
