import Type from 'typebox';
import { definePredicate } from '../../runtime/api/index.js';

/** Matches records that carry a header with the given name, whatever its value. */
export const HasHeaderKey = definePredicate({
  name: 'HasHeaderKey',
  description: 'True for records that have a header named `name`.',
  config: Type.Object({
    name: Type.String({ description: 'Header name (case-sensitive).', minLength: 1, examples: ['conflux.error.stage'] }),
  }),
  create(config) {
    return { test: (record) => Object.hasOwn(record.headers, config.name) };
  },
});
