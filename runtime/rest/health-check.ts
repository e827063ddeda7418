import { connect } from 'node:net';

export type ServiceState = 'up' | 'down' | 'disabled' | 'unknown';

export interface HealthReport {
  kafka: ServiceState;
  schema_registry: ServiceState;
}

/** Checks the services the worker depends on; must settle quickly (it backs load-balancer probes). */
export type HealthProbe = () => Promise<HealthReport>;

function tcpReachable(hostPort: string, timeoutMs: number): Promise<boolean> {
  const i = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(hostPort.slice(i + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/**
 * A cheap probe: Kafka is up when any bootstrap broker accepts a TCP connection (no Kafka client
 * round trip, which can block for its full retry budget); the Schema Registry is up when it
 * answers HTTP at all. Both within `timeoutMs`.
 */
export function probeServices(options: { brokers: readonly string[]; schemaRegistryUrl?: string; timeoutMs?: number }): HealthProbe {
  const timeoutMs = options.timeoutMs ?? 1000;
  return async () => {
    const kafka = Promise.all(options.brokers.map((b) => tcpReachable(b, timeoutMs))).then((r) => (r.some(Boolean) ? 'up' : 'down') as ServiceState);
    const registry: Promise<ServiceState> = options.schemaRegistryUrl
      ? fetch(options.schemaRegistryUrl, { signal: AbortSignal.timeout(timeoutMs) }).then(
          (res) => (res.status < 500 ? 'up' : 'down'),
          () => 'down',
        )
      : Promise.resolve('disabled');
    return { kafka: await kafka, schema_registry: await registry };
  };
}

/** How long one probe result answers `GET /health`. */
export const HEALTH_CACHE_MS = 5000;

/**
 * Shares one probe among callers: a result is reused for `ttlMs` and callers that arrive while a
 * probe runs wait for it, so that unauthenticated `GET /health` requests cannot make the worker
 * open connections at the rate they arrive.
 */
export function cachedProbe(probe: HealthProbe | undefined, ttlMs = HEALTH_CACHE_MS): HealthProbe | undefined {
  if (!probe) return undefined;
  let last: { at: number; result: Promise<HealthReport> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= ttlMs) {
      const result = probe();
      last = { at: now, result };
      // A failed probe is not cached: the next request tries again.
      result.catch(() => {
        if (last?.result === result) last = undefined;
      });
    }
    return last.result;
  };
}
