import Type from 'typebox';
import { ConfigError, definePredicate } from '../../runtime/api/index.js';

/** Matches records whose topic name matches a regular expression as a whole. */
export const TopicNameMatches = definePredicate({
  name: 'TopicNameMatches',
  description: 'True for records whose topic name matches the regular expression `pattern` in full.',
  config: Type.Object({
    pattern: Type.String({
      description: 'JavaScript regular expression that must match the whole topic name.',
      minLength: 1,
      examples: ['orders-.*'],
    }),
  }),
  create(config) {
    let regex: RegExp;
    try {
      // Anchored like Java's Matcher.matches(), which is what Kafka Connect users expect.
      regex = new RegExp(`^(?:${config.pattern})$`, 'u');
    } catch (err) {
      throw new ConfigError([{ key: 'pattern', message: `is not a valid regular expression: ${(err as Error).message}` }]);
    }
    return { test: (record) => regex.test(record.topic) };
  },
});
