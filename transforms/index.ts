import type { TransformDefinition } from '../runtime/api/index.js';
import { EnrichCustomer } from './enrich-customer.js';
import { ExtractField } from './extract-field.js';
import { Filter } from './filter.js';
import { InsertField } from './insert-field.js';
import { ParseCustomer } from './parse-customer.js';
import { ParseOrder } from './parse-order.js';
import { ReplaceField } from './replace-field.js';
import { TimestampConverter } from './timestamp-converter.js';
import { ValidateOrder } from './validate-order.js';
import { ValueToKey } from './value-to-key.js';

/**
 * Transforms by the name used in `transforms.<alias>.type`. An explicit map: adding a transform
 * means adding a line here, and importing a module never registers anything.
 */
export const transforms: Readonly<Record<string, TransformDefinition>> = Object.freeze({
  [EnrichCustomer.name]: EnrichCustomer as TransformDefinition,
  [ExtractField.name]: ExtractField as TransformDefinition,
  [Filter.name]: Filter as TransformDefinition,
  [InsertField.name]: InsertField as TransformDefinition,
  [ParseCustomer.name]: ParseCustomer as TransformDefinition,
  [ParseOrder.name]: ParseOrder as TransformDefinition,
  [ReplaceField.name]: ReplaceField as TransformDefinition,
  [TimestampConverter.name]: TimestampConverter as TransformDefinition,
  [ValidateOrder.name]: ValidateOrder as TransformDefinition,
  [ValueToKey.name]: ValueToKey as TransformDefinition,
});

export { predicates } from './predicates/index.js';
