/**
 * The pure parts of the oversize policy (cursor.oversize.handling.mode): putting a split event's
 * fragments back together, the versions that have $changeStreamSplitLargeEvent, the stages each
 * mode asks for, and the config. What the server does is tested against it in
 * test/integration/mongodb-source-oversize and mongo-change-streams/large-events.
 */
import t from 'tap';
import { validateConnectorConfig } from '../../runtime/config/index.js';
import { FatalError } from '../../runtime/api/index.js';
import { mongoSourceConfig, planTasks, type MongoSourceConfig } from '../../connectors/mongodb-source/config.js';
import { FragmentAssembler, OVERSIZE_FIELD, oversizeStages, splitSupported } from '../../connectors/mongodb-source/oversize.js';

const event = {
  _id: { _data: 'e' },
  operationType: 'update',
  clusterTime: 7,
  ns: { db: 'shop', coll: 'orders' },
  documentKey: { _id: 'o-1' },
  updateDescription: { updatedFields: { b: 'y' }, removedFields: [] },
  fullDocument: { _id: 'o-1', a: 'x', b: 'y' },
};
const fragment = (n: number, of: number, fields: Record<string, unknown>) => ({ _id: { _data: `f${n}` }, splitEvent: { fragment: n, of }, ...fields });

t.test('fragments become the one event they were cut from, with the last fragment as its position', async (t) => {
  const assembler = new FragmentAssembler();
  const { _id, updateDescription, fullDocument, ...context } = event;
  void _id;
  t.equal(assembler.add(fragment(1, 3, context)), undefined, 'nothing before the last fragment');
  t.ok(assembler.incomplete);
  t.equal(assembler.add(fragment(2, 3, { updateDescription })), undefined);
  const whole = assembler.add(fragment(3, 3, { fullDocument }));
  t.same(whole, { ...event, _id: { _data: 'f3' } });
  t.notOk(assembler.incomplete);
  t.equal(assembler.add(event), event, 'an unsplit event passes as it is');
});

t.test('a lost or repeated fragment fails the task instead of delivering part of a change', async (t) => {
  const assembler = new FragmentAssembler();
  t.throws(() => assembler.add(fragment(2, 2, {})), FatalError, 'a stream that starts mid-event');
  assembler.add(fragment(1, 3, {}));
  t.throws(() => assembler.add(fragment(3, 3, {})), /fragment 3 of 3 arrived after 1/);
  assembler.add(fragment(1, 2, {}));
  t.throws(() => assembler.add(event), /an unsplit event arrived after fragment 1/);
  assembler.add(fragment(1, 2, {}));
  assembler.reset();
  t.equal(assembler.add(event), event, 'a reopened stream starts afresh');
});

t.test('$changeStreamSplitLargeEvent exists from MongoDB 6.0.9 and 7.0', async (t) => {
  t.same(['4.4.0', '6.0.8', '6.0.9', '6.0.14', '6.3.1', '7.0.0', '7.0.5', '8.0.1', '7.0.2-rc0', ''].map(splitSupported), [
    false,
    false,
    true,
    true,
    false,
    true,
    true,
    true,
    true,
    false,
  ]);
});

t.test('each mode appends its stages; skip empties an oversized event into OVERSIZE_FIELD', async (t) => {
  t.same(oversizeStages('fail', 1), []);
  t.same(oversizeStages('split', 1), [{ $changeStreamSplitLargeEvent: {} }]);
  const skip = JSON.stringify(oversizeStages('skip', 12345));
  t.match(skip, /"\$bsonSize":"\$fullDocument"/);
  t.match(skip, /"\$bsonSize":"\$updateDescription"/);
  t.match(skip, /"\$gt":\["\$__conflux_event_bytes",12345\]/);
  t.match(skip, new RegExp(`"${OVERSIZE_FIELD}":"\\$__conflux_event_bytes"`));
});

t.test('config: fail by default; the split stage is asked for by the mode, not in pipeline', async (t) => {
  const base = { 'connector.class': 'mongodb-source', 'connection.uri': 'mongodb://h/?replicaSet=rs0', database: 'shop', collections: 'orders' };
  const validated = (extra: Record<string, unknown>) => {
    const r = validateConnectorConfig(mongoSourceConfig, { ...base, ...extra });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.config as unknown as MongoSourceConfig;
  };
  const [task] = planTasks(validated({}), 1);
  t.equal(task!.oversizeMode, 'fail');
  t.equal(task!.oversizeSkipThreshold, 16 * 1024 * 1024);
  t.throws(() => planTasks(validated({ pipeline: '[{"$changeStreamSplitLargeEvent": {}}]' }), 1), /set cursor\.oversize\.handling\.mode=split instead/);
  const bad = validateConnectorConfig(mongoSourceConfig, { ...base, 'cursor.oversize.handling.mode': 'truncate' });
  t.same(bad.ok ? [] : bad.errors.map((e) => e.key), ['cursor.oversize.handling.mode']);
});
