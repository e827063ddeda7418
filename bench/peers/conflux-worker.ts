/**
 * `conflux standalone` in a child process with the shipped config/worker.json (port and state
 * moved to a temp directory) and no connector files: connectors are created over its REST API,
 * as on the peer worker, so both sides are measured the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, serviceEnv, type ConnectorStatus, type PipelineServices } from '../../test/helpers/pipeline.js';
import { freePort } from '../../test/helpers/mongo-test-server.js';
import { waitFor } from '../../test/helpers/services.js';

export class ConfluxWorker {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    readonly dir: string,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  /** `nodeArgs`: extra node options for the worker (e.g. --cpu-prof). */
  static async start(services: PipelineServices, nodeArgs: string[] = []): Promise<ConfluxWorker> {
    const dir = await mkdtemp(join(tmpdir(), 'conflux-peers-conflux-'));
    const port = await freePort();
    const shipped = JSON.parse(readFileSync(join(repoRoot, 'config/worker.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(
      join(dir, 'worker.json'),
      JSON.stringify({
        ...shipped,
        'rest.port': port,
        'offset.storage.file.filename': join(dir, 'state/offsets.json'),
        'state.dir': join(dir, 'state'),
        'config.providers.file.allowed.paths': join(repoRoot, 'config'),
      }),
    );
    const log = createWriteStream(join(dir, 'worker.log'));
    const child = spawn(process.execPath, [...nodeArgs, join(repoRoot, 'bin/conflux.js'), 'standalone', '--worker', join(dir, 'worker.json')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        ...serviceEnv(services),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const worker = new ConfluxWorker(`http://127.0.0.1:${port}`, child, dir);
    await waitFor(
      'the conflux worker REST API',
      async () => {
        if (child.exitCode !== null) throw new Error(`conflux exited (${child.exitCode}); log: ${join(dir, 'worker.log')}`);
        return (await fetch(`${worker.url}/connectors`).catch(() => undefined))?.ok ? true : undefined;
      },
      60_000,
    );
    return worker;
  }

  async createConnector(name: string, config: Record<string, string>): Promise<void> {
    const res = await fetch(`${this.url}/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, config }),
    });
    if (res.status !== 201) throw new Error(`POST /connectors ${name} answered ${res.status}: ${await res.text()}`);
  }

  /** The connector's status; throws with the trace if the connector or a task failed. */
  async healthyStatus(name: string): Promise<ConnectorStatus> {
    const res = await fetch(`${this.url}/connectors/${encodeURIComponent(name)}/status`);
    const body = (await res.json()) as ConnectorStatus;
    if (res.status !== 200) throw new Error(`GET /connectors/${name}/status answered ${res.status}: ${JSON.stringify(body)}`);
    const failed = [body.connector as { state: string; trace?: string }, ...body.tasks].find((s) => s.state === 'FAILED');
    if (failed) throw new Error(`conflux connector ${name} FAILED: ${failed.trace ?? '(no trace)'}`);
    return body;
  }

  /** Stops the worker (SIGTERM, then SIGKILL after 30 s); `keepDir` keeps its log. */
  async stop(keepDir = false): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    if (!keepDir) await rm(this.dir, { recursive: true, force: true });
  }
}
