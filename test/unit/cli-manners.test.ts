import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../cli/main.js';
import { tempDir } from '../fixtures/worker.js';

async function capture(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

t.test('--help, help and help <command> print usage and exit 0', async (t) => {
  for (const argv of [['--help'], ['-h'], ['help']]) {
    const r = await capture(argv);
    t.equal(r.code, 0, argv.join(' '));
    t.match(r.out, /conflux standalone/);
    t.match(r.out, /conflux generate/);
    t.equal(r.err, '');
  }
  for (const command of ['standalone', 'apply', 'generate', 'demo', 'warehouse', 'status', 'validate', 'distributed']) {
    const viaHelp = await capture(['help', command]);
    const viaFlag = await capture([command, '--help']);
    t.equal(viaHelp.code, 0, `help ${command}`);
    t.equal(viaFlag.code, 0, `${command} --help`);
    t.match(viaFlag.out, new RegExp(`conflux ${command}`));
    t.equal(viaHelp.out, viaFlag.out, `help ${command} and ${command} --help say the same`);
    t.notMatch(viaFlag.out, /conflux demo.*\n[\s\S]*conflux standalone/, 'only that command');
  }
});

t.test('no command, an unknown command or an unknown option is a usage error (exit 2)', async (t) => {
  t.equal((await capture([])).code, 2);
  const unknown = await capture(['--verbosee']);
  t.equal(unknown.code, 2);
  t.match(unknown.err, /unknown command '--verbosee'/);
  const option = await capture(['status', '--bogus']);
  t.equal(option.code, 2);
  t.match(option.err, /Unknown option '--bogus'[\s\S]*Usage:\n\s+conflux status/);
  t.equal((await capture(['help', 'nope'])).code, 2);
});

t.test('an unreachable worker is one line with what to do, the stack only with --verbose', async (t) => {
  const quiet = await capture(['status', '--url', 'http://127.0.0.1:1']);
  t.equal(quiet.code, 1);
  t.equal(quiet.err.split('\n').length, 1, `one line: ${quiet.err}`);
  t.match(quiet.err, /^error: .*127\.0\.0\.1:1/);
  const verbose = await capture(['status', '--url', 'http://127.0.0.1:1', '--verbose']);
  t.match(verbose.err, /\n\s+at /, '--verbose adds the stack');
});

t.test('apply asks again while a worker answers 409 (a cluster rebalancing), and gives up at its bound', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'c'));
  writeFileSync(join(dir, 'c', 'a.json'), JSON.stringify({ name: 'a', config: { 'connector.class': 'x' } }));
  let conflicts = 2;
  const posts: string[] = [];
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && req.url?.startsWith('/connectors')) return res.end('{}');
    if (req.method === 'GET') return res.end('[]');
    posts.push(req.url!);
    if (conflicts-- > 0) {
      res.statusCode = 409;
      return res.end(JSON.stringify({ error_code: 409, message: 'the cluster is rebalancing; try again in a moment' }));
    }
    res.statusCode = 201;
    res.end(JSON.stringify({ name: 'a', config: {}, tasks: [], type: 'source' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ok = await capture(['apply', join(dir, 'c'), '--url', url]);
  t.equal(ok.code, 0, ok.out);
  t.equal(posts.length, 3, 'two 409s, then the create');
  t.match(ok.out, /answered 409 \(rebalancing\); asking again/);
  t.match(ok.out, /created a/);

  const { applyDir } = await import('../../cli/commands/apply.js');
  const { WorkerClient } = await import('../../cli/http-client.js');
  conflicts = 1_000;
  const lines: string[] = [];
  const started = Date.now();
  const failed = await applyDir(new WorkerClient(url, undefined), { dir: join(dir, 'c'), dryRun: false, prune: false, conflictRetryMs: 600 }, (l) =>
    lines.push(l),
  );
  t.equal(failed, 1, 'a 409 that lasts past the bound fails the step');
  t.ok(Date.now() - started < 5_000, 'within about the bound');
  t.match(lines.join('\n'), /error: create a: .*409/);
});
