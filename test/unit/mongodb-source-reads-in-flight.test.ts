import t from 'tap';
import { positionRecord, type SourceRecord } from '../../runtime/api/index.js';
import { ReadsInFlight, type RecordReader } from '../../connectors/mongodb-source/reads-in-flight.js';

/** A reader whose reads end when the test says, with the records it gives. */
class ControlledReader implements RecordReader {
  reads = 0;
  private end: ((records: SourceRecord[] | Error) => void) | undefined;

  read(out: SourceRecord[], room: number): Promise<void> {
    this.reads++;
    return new Promise((resolve, reject) => {
      this.end = (records) => {
        if (records instanceof Error) return reject(records);
        out.push(...records.slice(0, room));
        resolve();
      };
    });
  }

  give(...names: string[]): void {
    const end = this.end!;
    this.end = undefined;
    end(names.map((name) => positionRecord({ name }, { at: name })));
  }

  fail(error: Error): void {
    const end = this.end!;
    this.end = undefined;
    end(error);
  }
}

const names = (records: SourceRecord[]) => records.map((r) => r.sourcePartition.name);
const tick = () => new Promise((r) => setImmediate(r));

t.test('a poll returns as soon as one reader has records; a read still waiting goes on into the next poll', async (t) => {
  const busy = new ControlledReader();
  const quiet = new ControlledReader();
  const reads = new ReadsInFlight(10);
  const first = reads.poll([busy, quiet]);
  await tick();
  busy.give('b1', 'b2');
  t.same(names(await first), ['b1', 'b2'], "the busy reader's records, without waiting for the quiet one");
  const second = reads.poll([busy, quiet]);
  await tick();
  t.equal(quiet.reads, 1, "the quiet reader's read was not started again");
  t.equal(busy.reads, 2, 'the busy reader reads again');
  quiet.give('q1');
  t.same(names(await second), ['q1'], "the quiet reader's records come with the poll its read ended in");
});

t.test('a poll where every read comes back empty returns empty', async (t) => {
  const a = new ControlledReader();
  const b = new ControlledReader();
  const reads = new ReadsInFlight(10);
  const poll = reads.poll([a, b]);
  await tick();
  a.give();
  let settled = false;
  void poll.then(() => (settled = true));
  await tick();
  t.notOk(settled, 'one empty read does not end the poll while another may still bring records');
  b.give();
  t.same(await poll, []);
});

t.test('a failed read fails the poll; the records of the others go out with the next one', async (t) => {
  const good = new ControlledReader();
  const bad = new ControlledReader();
  const reads = new ReadsInFlight(10);
  const poll = reads.poll([good, bad]);
  await tick();
  good.give('g1');
  bad.fail(new Error('getMore failed'));
  await t.rejects(poll, /getMore failed/);
  const next = reads.poll([good, bad]);
  await tick();
  t.same(names(await next), ['g1'], 'nothing read is lost');
  t.equal(bad.reads, 2, 'the failed reader reads again');
});

t.test('each read gets the room it was given', async (t) => {
  const a = new ControlledReader();
  const reads = new ReadsInFlight(2);
  const poll = reads.poll([a]);
  await tick();
  a.give('a1', 'a2', 'a3');
  t.same(names(await poll), ['a1', 'a2']);
});
