export {
  CONNECTOR_NAME_PATTERN,
  MAX_CONFIG_KEYS,
  PREDICATE_KEY,
  TRANSFORM_KEY,
  commonConnectorConfig,
  isValidConnectorName,
  isLiteralConnectorKey,
  commonConnectorProperties,
  connectorConfigSchema,
  connectorProperties,
  parseList,
  sinkConnectorConfig,
  sinkConnectorProperties,
  type CommonConnectorConfig,
  type ConverterName,
  type SinkConnectorConfig,
  type SourceConnectorConfig,
} from './connector-schema.js';
export { SECRET_KEYWORD, Secret, isSecretSchema, type TSecret } from './secret.js';
export {
  lookupFromMaps,
  validateConnectorConfig,
  type PredicateSpec,
  type TransformLookup,
  type TransformSpec,
  type ValidateConnectorOptions,
  type ValidationResult,
} from './validate.js';
export {
  PlaceholderRefusedError,
  hasPlaceholder,
  isPlaceholder,
  parseProperties,
  resolvePlaceholders,
  type PlaceholderSources,
  type ResolveOptions,
  type ResolveResult,
} from './placeholders.js';
export { MAX_PROVIDER_FILE_BYTES, envMatcher, restrictedSources, unrestrictedSources, type ProviderPolicy } from './providers.js';
export { REDACTED, connectorSecretKeys, looksSecret, redact, redactConnectorConfig, redactString, secretKeys } from './redact.js';
export { validateWorkerConfig, workerConfigSchema, type WorkerConfig, type WorkerValidationResult } from './worker-schema.js';
export { compileSchema, toConfigErrors } from './ajv.js';
