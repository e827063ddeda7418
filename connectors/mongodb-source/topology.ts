import { ConfigError, RetriableError } from '../../runtime/api/index.js';

/**
 * Change streams exist only on replica sets and sharded clusters (MongoDB manual, "Change
 * Streams: Availability"). `hello` says which one a server is: a replica set member reports
 * `setName`, a mongos reports `msg: "isdbgrid"`; a standalone server reports neither.
 */
export function checkChangeStreamTopology(hello: Readonly<Record<string, unknown>>): void {
  if (typeof hello.setName === 'string' || hello.msg === 'isdbgrid') return;
  throw new ConfigError([
    {
      key: 'connection.uri',
      message:
        'the server is a standalone MongoDB, but change streams need a replica set or a sharded cluster. Run it as a replica set (a single node is enough: start mongod with --replSet rs0 and run rs.initiate() once) and connect with ?replicaSet=<name>',
    },
  ]);
}

/** `text` with the connection string and its credentials replaced, for messages that leave the task. */
export function redactUri(text: string, uri: string): string {
  let out = text.split(uri).join('<connection.uri>');
  const userInfo = /^mongodb(?:\+srv)?:\/\/([^@/]+)@/.exec(uri)?.[1];
  if (userInfo) {
    for (const part of new Set([userInfo, ...userInfo.split(':'), ...userInfo.split(':').map(decodeURIComponentSafe)])) {
      if (part.length >= 3) out = out.split(part).join('***');
    }
  }
  return out;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The hosts of a connection string, without credentials or options, to name in messages. */
export function hostsOf(uri: string): string {
  const m = /^mongodb(?:\+srv)?:\/\/(?:[^@/]+@)?([^/?]+)/.exec(uri);
  return m?.[1] ?? 'the configured server';
}

/** A driver failure at connect time as an error whose message is safe to show. */
export function connectError(err: unknown, uri: string): Error {
  const e = err as { name?: string; message?: string };
  const reason = redactUri(String(e?.message ?? err), uri);
  if (e?.name === 'MongoParseError' || e?.name === 'MongoInvalidArgumentError' || e?.name === 'MongoAPIError') {
    return new ConfigError([{ key: 'connection.uri', message: `not a valid MongoDB connection string: ${reason}` }]);
  }
  return new RetriableError(`cannot connect to MongoDB at ${hostsOf(uri)}: ${reason}`);
}
