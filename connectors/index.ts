import type { ConnectorDefinition } from '../runtime/api/index.js';
import { postgresSink } from './postgres-sink/index.js';
import { mongodbSource } from './mongodb-source/index.js';

/**
 * Connector plugins by the name used in `connector.class`. An explicit map: adding a connector
 * means adding a line here, and importing a module never registers anything.
 */
export const connectors: Readonly<Record<string, ConnectorDefinition>> = Object.freeze({
  [postgresSink.name]: postgresSink as ConnectorDefinition,
  [mongodbSource.name]: mongodbSource,
});
