import type { Producer } from 'kafkajs';
import t from 'tap';
import { DLQ_HEADER, DeadLetterWriter } from '../../runtime/tasks/dead-letter.js';

// The producer is the only collaborator: what matters is the message the writer hands it.
function writer(headersOf: { context: boolean; stackTrace: boolean }) {
  const sent: Array<{ headers: Record<string, unknown> }> = [];
  const producer = { send: async (r: { messages: Array<{ headers: Record<string, unknown> }> }) => void sent.push(...r.messages) } as unknown as Producer;
  return { sent, w: new DeadLetterWriter(producer, 'dlq', 'orders-sink', 0, headersOf, (s) => s.replaceAll('pw-Secret-1', '[hidden]')) };
}

const payload = { key: 'k', value: 'v', headers: { mine: 'kept' }, topic: 'orders-cdc', partition: 2, offset: '41' };
const failure = () => new Error('refused: pw-Secret-1 is not a number');

t.test('context headers carry the reason, scrubbed, and no stack trace unless asked for', async (t) => {
  const { sent, w } = writer({ context: true, stackTrace: false });
  await w.send(payload, 'transform:validate', failure());
  const h = sent[0]!.headers;
  t.match(h, {
    mine: 'kept',
    [DLQ_HEADER.stage]: 'transform:validate',
    [DLQ_HEADER.message]: 'refused: [hidden] is not a number',
    [DLQ_HEADER.topic]: 'orders-cdc',
    [DLQ_HEADER.partition]: '2',
    [DLQ_HEADER.offset]: '41',
  });
  t.notOk(DLQ_HEADER.stack in h, 'no stack by default');
});

t.test('the stack trace is added when opted in, scrubbed', async (t) => {
  const { sent, w } = writer({ context: true, stackTrace: true });
  await w.send(payload, 'put', failure());
  const stack = String(sent[0]!.headers[DLQ_HEADER.stack]);
  t.match(stack, /^Error: refused: \[hidden\] is not a number\n\s+at /);
  t.notOk(stack.includes('pw-Secret-1'));
});

t.test('without context headers the record keeps only its own', async (t) => {
  const { sent, w } = writer({ context: false, stackTrace: true });
  await w.send(payload, 'put', failure());
  t.same(sent[0]!.headers, { mine: 'kept' });
});
