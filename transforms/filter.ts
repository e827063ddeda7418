import Type from 'typebox';
import { defineTransform } from '../runtime/api/index.js';

export const Filter = defineTransform({
  name: 'Filter',
  version: '1.0.0',
  description:
    "Drops every record it is applied to, like Kafka Connect's Filter: give it a predicate (transforms.<alias>.predicate, with negate) " +
    'to choose which records are dropped.',
  config: Type.Object({}),
  create() {
    return { apply: () => null };
  },
});
