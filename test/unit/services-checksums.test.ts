/**
 * The services script verifies what it downloads against SHA-256 sums pinned in
 * scripts/services/checksums/ and refuses a mismatch (removing the files); the pinned sums match
 * the artifacts the installs fetched.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const lib = join(root, 'scripts/services/lib.sh');

/** Runs verify_checksums of lib.sh on `dir` with the sums file of `name` from `sumsDir`. */
function verify(dir: string, name: string, sumsDir: string, state: string) {
  const script = `source "${lib}"; SERVICES_DIR="${sumsDir}"; verify_checksums "${dir}" "${name}"`;
  return run('bash', ['-c', script], { env: { ...process.env, CONFLUX_STATE_DIR: state } }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
}

t.test('a download that matches its pinned sums passes; one that does not is removed and refused', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'conflux-sums-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const sums = join(work, 'services');
  mkdirSync(join(sums, 'checksums'), { recursive: true });
  const download = join(work, 'download');
  mkdirSync(download);
  writeFileSync(join(download, 'a.jar'), 'the real jar');
  // sha256 of "the real jar"
  const { stdout } = await run('sha256sum', ['a.jar'], { cwd: download });
  writeFileSync(join(sums, 'checksums', 'thing-1.0.sha256'), stdout);

  const ok = await verify(download, 'thing-1.0', sums, join(work, 'state'));
  t.equal(ok.code, 0, 'matching files pass');
  t.ok(existsSync(join(download, 'a.jar')), 'and stay');

  writeFileSync(join(download, 'a.jar'), 'a planted jar');
  const bad = await verify(download, 'thing-1.0', sums, join(work, 'state'));
  t.not(bad.code, 0, 'a mismatch stops the install');
  t.match(bad.stderr, /the download of thing-1\.0 does not match its pinned SHA-256 sums/);
  t.notOk(existsSync(download), 'and the files are removed, so nothing runs them');

  mkdirSync(download);
  const unpinned = await verify(download, 'thing-2.0', sums, join(work, 'state'));
  t.equal(unpinned.code, 0, 'a version without pinned sums is used');
  t.match(unpinned.stderr, /WARNING: no pinned SHA-256 sums for thing-2\.0/, 'with a warning');
});

t.test('the pinned sums are those of the installed artifacts', async (t) => {
  const cache = process.env.CONFLUX_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'conflux');
  for (const name of ['kafka-4.3.1', 'mongo-java-server-1.47.0']) {
    const dir = join(cache, name);
    if (!existsSync(join(dir, '.complete'))) {
      t.comment(`${name} is not installed here; skipped`);
      continue;
    }
    const sums = join(root, 'scripts/services/checksums', `${name}.sha256`);
    const lines = readFileSync(sums, 'utf8').trim().split('\n');
    const { stdout } = await run('sha256sum', ['--strict', '-c', sums], { cwd: dir });
    t.equal(
      stdout
        .trim()
        .split('\n')
        .filter((l) => l.endsWith(': OK')).length,
      lines.length,
      `${name}: every pinned file matches`,
    );
  }
});
