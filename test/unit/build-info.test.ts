import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import t from 'tap';
import { buildCommit } from '../../runtime/support/build-info.js';
import { LogManager } from '../../runtime/observability/logging.js';
import { WorkerMetrics } from '../../runtime/observability/metrics.js';
import { FileOffsetStore } from '../../runtime/offsets/file-store.js';
import { Worker } from '../../runtime/worker/worker.js';
import { testPlugins } from '../fixtures/worker.js';

t.test('GET / reports the commit: the build variable when set, else the checkout HEAD', async (t) => {
  t.equal(buildCommit({ CONFLUX_COMMIT: ' 0123abc ' }), '0123abc');
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  t.equal(buildCommit({}), head, 'the checkout commit');
});

t.test('the Kafka cluster id: one lookup however many ask, none right after a failure, cached once known', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'conflux-cluster-id-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let connects = 0;
  let up = false;
  const kafka = {
    admin: () => ({
      connect: async () => {
        connects++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (!up) throw new Error('broker down');
      },
      describeCluster: async () => ({ clusterId: 'cluster-1', brokers: [], controller: 1 }),
      disconnect: async () => undefined,
    }),
  } as unknown as Kafka;
  const worker = new Worker({
    workerId: 'w:8083',
    plugins: testPlugins,
    kafka,
    offsetStore: new FileOffsetStore(join(dir, 'offsets.json')),
    logs: new LogManager({ level: 'silent' }),
    metrics: new WorkerMetrics(),
    resolveConfig: async (raw) => ({ config: { ...raw } as Record<string, string>, secrets: [] }),
  });
  await worker.start();
  t.teardown(() => worker.stop());

  const answers = await Promise.all(Array.from({ length: 10 }, () => worker.kafkaClusterId(1000)));
  t.same(answers, Array(10).fill(undefined), 'Kafka away: no id');
  t.equal(connects, 1, 'ten concurrent requests shared one connection attempt');
  await worker.kafkaClusterId(1000);
  t.equal(connects, 1, 'no new attempt right after a failure');

  up = true;
  const w = worker as unknown as { admin: { clusterIdRetryAt: number } };
  w.admin.clusterIdRetryAt = 0; // the retry pause is over
  t.equal(await worker.kafkaClusterId(1000), 'cluster-1');
  t.equal(await worker.kafkaClusterId(1000), 'cluster-1');
  t.equal(connects, 2, 'the id is asked once, then cached');
});
