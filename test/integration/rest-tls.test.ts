/**
 * The REST API over TLS: with rest.tls.cert.file and rest.tls.key.file the worker answers HTTPS
 * only, with that certificate; one of the pair alone, or files that do not make a listener, are
 * configuration errors naming the key.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { tempDir } from '../fixtures/worker.js';
import { freePort } from '../helpers/mongo-test-server.js';
import { services, waitFor } from '../helpers/services.js';

const cli = fileURLToPath(new URL('../../bin/conflux.js', import.meta.url));
const run = promisify(execFile);

/** A self-signed certificate for 127.0.0.1 (subjectAltName IP), as a private CA would issue one. */
async function certificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'worker.crt');
  const key = join(dir, 'worker.key');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ]); // prettier-ignore
  return { cert, key };
}

function workerFile(dir: string, port: number, extra: Record<string, unknown>): string {
  const file = join(dir, 'worker.json');
  writeFileSync(
    file,
    JSON.stringify({
      'bootstrap.servers': services().kafkaBrokers.join(','),
      'schema.registry.url': services().schemaRegistryUrl,
      'state.dir': join(dir, 'state'),
      'offset.storage.file.filename': join(dir, 'state', 'offsets.json'),
      'rest.port': port,
      ...extra,
    }),
  );
  return file;
}

function start(t: Test, file: string): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, 'standalone', '--worker', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (text += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => text, exit };
}

/** GET over HTTPS trusting only `ca`; resolves with the status, or the error. */
function getHttps(port: number, path: string, ca: Buffer | string): Promise<number | Error> {
  return new Promise((resolve) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', resolve);
    req.end();
  });
}

function getHttp(port: number, path: string): Promise<number | Error> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', resolve);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

t.test('with a certificate and key the API answers over HTTPS only', async (t) => {
  const dir = tempDir(t);
  const { cert, key } = await certificate(dir);
  const port = await freePort();
  const worker = start(t, workerFile(dir, port, { 'rest.tls.cert.file': cert, 'rest.tls.key.file': key }));
  const { readFileSync } = await import('node:fs');
  const ca = readFileSync(cert);
  const status = await waitFor(
    'the HTTPS listener',
    async () => {
      const s = await getHttps(port, '/health', ca);
      return typeof s === 'number' ? s : undefined;
    },
    60_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${worker.output()}`, { cause: err });
  });
  t.equal(status, 200, 'GET /health over TLS, verified against the certificate');
  t.match(worker.output(), new RegExp(`"address":"https://127\\.0\\.0\\.1:${port}"[^\\n]*REST API listening`), 'the log gives the https address');
  const plain = await getHttp(port, '/health');
  t.ok(plain instanceof Error, `plain HTTP gets no answer (${plain instanceof Error ? plain.message : plain})`);
  const untrusted = await getHttps(port, '/health', Buffer.alloc(0));
  t.ok(untrusted instanceof Error, 'a client that does not trust the certificate is refused by TLS');
});

t.test('one half of the pair, or files that are no key, are configuration errors naming the key', async (t) => {
  const dir = tempDir(t);
  const { cert } = await certificate(dir);
  const half = start(t, workerFile(dir, await freePort(), { 'rest.tls.cert.file': cert }));
  t.not(await half.exit, 0, 'the worker does not start');
  t.match(half.output(), /rest\.tls\.key\.file.*is required with rest\.tls\.cert\.file/);

  const wrong = start(t, workerFile(dir, await freePort(), { 'rest.tls.cert.file': cert, 'rest.tls.key.file': cert }));
  t.not(await wrong.exit, 0);
  t.match(wrong.output(), /rest\.tls\.key\.file.*do not make a TLS listener/);
  t.notMatch(wrong.output(), /BEGIN CERTIFICATE/, 'the file is not quoted');
});
