import type { TransformDefinition } from '../runtime/api/index.js';

/**
 * Transforms by the name used in `transforms.<alias>.type`. An explicit map: adding a transform
 * means adding a line here, and importing a module never registers anything.
 */
export const transforms: Readonly<Record<string, TransformDefinition>> = Object.freeze({});

export { predicates } from './predicates/index.js';
