import Type from 'typebox';
import { definePredicate } from '../../runtime/api/index.js';

/** Matches tombstones: records whose value is null (deletes on a compacted topic). */
export const RecordIsTombstone = definePredicate({
  name: 'RecordIsTombstone',
  description: 'True for tombstone records, whose value is null.',
  config: Type.Object({}),
  create() {
    return { test: (record) => record.value === null };
  },
});
