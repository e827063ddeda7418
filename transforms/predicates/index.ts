import type { PredicateDefinition } from '../../runtime/api/index.js';
import { HasHeaderKey } from './has-header-key.js';
import { RecordIsTombstone } from './record-is-tombstone.js';
import { TopicNameMatches } from './topic-name-matches.js';

/** Built-in predicates by the name used in `predicates.<alias>.type`. */
export const predicates: Readonly<Record<string, PredicateDefinition>> = Object.freeze({
  [HasHeaderKey.name]: HasHeaderKey,
  [RecordIsTombstone.name]: RecordIsTombstone,
  [TopicNameMatches.name]: TopicNameMatches,
});

export { HasHeaderKey, RecordIsTombstone, TopicNameMatches };
