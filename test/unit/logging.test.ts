import t from 'tap';
import { Writable } from 'node:stream';
import { LogManager } from '../../runtime/observability/logging.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, destination };
}

t.test('log lines carry their logger name and never a registered secret', async (t) => {
  const { lines, destination } = capture();
  const logs = new LogManager({ level: 'info', destination });
  logs.addSecrets(['s3cr3t-value']);
  logs.get('task.orders-0').error('connect failed with password s3cr3t-value', { attempt: 1, error: 'auth s3cr3t-value refused' });
  await new Promise((r) => setImmediate(r));
  t.equal(lines.length, 1);
  t.equal(lines[0]!.logger, 'task.orders-0');
  t.equal(lines[0]!.msg, 'connect failed with password [hidden]');
  t.equal(lines[0]!.attempt, 1);
  t.equal(lines[0]!.error, 'auth [hidden] refused', 'string fields are scrubbed too');
});

t.test('levels can be changed per logger and below it', async (t) => {
  const { lines, destination } = capture();
  const logs = new LogManager({ level: 'info', destination });
  const orders = logs.get('task.orders-0');
  const other = logs.get('worker');
  t.same(logs.setLevel('task', 'error').sort(), ['task', 'task.orders-0']);
  orders.info('hidden now');
  other.info('still shown');
  await new Promise((r) => setImmediate(r));
  t.same(
    lines.map((l) => l.msg),
    ['still shown'],
  );
  t.equal(logs.levels().get('task.orders-0')!.level, 'error');
});

t.test('a level set on a logger reaches children created after it, down the dotted names', async (t) => {
  const { lines, destination } = capture();
  const logs = new LogManager({ level: 'info', destination });
  logs.setLevel('task', 'debug');
  logs.setLevel('task.orders-0', 'error');
  const later = logs.get('task.customers-1');
  const deeper = logs.get('task.orders-0.writer');
  const elsewhere = logs.get('worker');
  later.debug('debug of a task created after the change');
  deeper.warn('below error: hidden');
  elsewhere.debug('root is still info: hidden');
  await new Promise((r) => setImmediate(r));
  t.same(
    lines.map((l) => l.msg),
    ['debug of a task created after the change'],
  );
  t.equal(logs.levels().get('task.customers-1')!.level, 'debug');
  t.equal(logs.levels().get('task.orders-0.writer')!.level, 'error', 'the nearest ancestor wins');
});
