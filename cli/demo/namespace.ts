import type { ConnectorFile } from '../connector-files.js';

/** Keys whose values are topic names, as a comma-separated list or a `collection:topic` map. */
const TOPIC_LISTS = ['topics', 'errors.deadletterqueue.topic.name'];
const TOPIC_MAPS = ['topic.map'];
const TOPIC_SUFFIX_KEYS = /^transforms\.[^.]+\.enrich\.topic$/;

/**
 * Runs the shipped pipeline under other names, so that it can share the services with other runs
 * (the tests): connector `x` becomes `x-<ns>`, topic `t` becomes `<ns>.t`, MongoDB database `d`
 * becomes `d_<ns>`, and the sinks write to PostgreSQL schema `<ns>`. Without a namespace the files
 * are used as they are.
 */
export function inNamespace(file: ConnectorFile, ns: string | undefined): ConnectorFile {
  if (!ns) return file;
  const topic = (t: string) => `${ns}.${t.trim()}`;
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config)) {
    if (TOPIC_LISTS.includes(key) || TOPIC_SUFFIX_KEYS.test(key)) config[key] = value.split(',').map(topic).join(',');
    else if (TOPIC_MAPS.includes(key))
      config[key] = value
        .split(',')
        .map((pair) => {
          const [collection, t] = pair.split(':');
          return `${collection!.trim()}:${topic(t ?? '')}`;
        })
        .join(',');
    else if (key === 'database') config[key] = databaseName(value, ns);
    else config[key] = value;
  }
  if (config['connector.class'] === 'postgres-sink') config['warehouse.schema'] = schemaName(ns);
  return { ...file, name: `${file.name}-${ns}`, config };
}

const databaseName = (db: string, ns: string) => `${db}_${ns}`;
const schemaName = (ns: string) => ns;

/** A namespace is used in topic, database and schema names, so it stays within what all of them accept. */
export const NAMESPACE_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;
