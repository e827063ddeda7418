import type { Admin, Kafka } from 'kafkajs';

/** How long `GET /` goes without asking Kafka for its cluster id again after a failed lookup. */
const CLUSTER_ID_RETRY_MS = 5_000;

/**
 * The worker's one Kafka admin client, connected on first use (a worker may start before Kafka),
 * and the cluster id it looks up for `GET /`.
 */
export class SharedAdmin {
  private admin: Promise<Admin> | undefined;
  private clusterId: string | undefined;
  private clusterIdLookup: Promise<string | undefined> | undefined;
  private clusterIdRetryAt = 0;

  constructor(private readonly kafka: Kafka) {}

  client(): Promise<Admin> {
    // One client however many callers race; a failed connect is forgotten so the next call retries.
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((err: unknown) => {
      this.admin = undefined;
      throw err;
    });
    return this.admin;
  }

  /** The Kafka cluster's id, or undefined when Kafka cannot be reached in time. */
  async kafkaClusterId(timeoutMs = 2000): Promise<string | undefined> {
    if (this.clusterId) return this.clusterId;
    // One lookup at a time however many requests ask, and none for a while after one failed:
    // `GET /` must not open a broker connection per hit while Kafka is away.
    if (Date.now() < this.clusterIdRetryAt) return undefined;
    this.clusterIdLookup ??= (async () => {
      const lookup = this.client().then((admin) => admin.describeCluster());
      lookup.catch(() => undefined);
      const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref());
      const cluster = await Promise.race([lookup, timeout]).catch(() => undefined);
      this.clusterId = cluster?.clusterId;
      if (!this.clusterId) this.clusterIdRetryAt = Date.now() + CLUSTER_ID_RETRY_MS;
      return this.clusterId;
    })().finally(() => {
      this.clusterIdLookup = undefined;
    });
    return this.clusterIdLookup;
  }

  async close(): Promise<void> {
    await this.admin?.then((admin) => admin.disconnect()).catch(() => undefined);
  }
}
