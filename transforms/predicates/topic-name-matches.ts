import { RE2JS } from 're2js';
import Type from 'typebox';
import { ConfigError, definePredicate } from '../../runtime/api/index.js';

/** Matches records whose topic name matches a regular expression as a whole. */
export const TopicNameMatches = definePredicate({
  name: 'TopicNameMatches',
  description: 'True for records whose topic name matches the regular expression `pattern` in full.',
  config: Type.Object({
    pattern: Type.String({
      description:
        'Regular expression (RE2 syntax, as Java and Go read it; no backreferences or lookaround) that must match the whole topic name. Matched in time linear in the topic name, whatever the pattern.',
      minLength: 1,
      maxLength: 1000,
      examples: ['orders-.*'],
    }),
  }),
  create(config) {
    // RE2 runs in time linear in the input: a pattern like (?:.*){20}X cannot stall the event loop
    // (the JavaScript engine backtracks on it for seconds per record). matches() is anchored, like
    // Java's Matcher.matches(), which is what Kafka Connect users expect.
    let regex: RE2JS;
    try {
      regex = RE2JS.compile(config.pattern);
    } catch (err) {
      throw new ConfigError([{ key: 'pattern', message: `is not a valid regular expression: ${(err as Error).message}` }]);
    }
    return { test: (record) => regex.matcher(record.topic).matches() };
  },
});
