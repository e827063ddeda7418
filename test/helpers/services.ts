/**
 * Connection settings of the test services, from the environment that `scripts/test.sh`
 * fills in (`scripts/services/services.sh env`). A missing setting fails the test with the
 * name of the service, so a broken stack is never mistaken for a broken feature.
 */
export interface ServiceSettings {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  mongoUri: string;
  /** `mongo-java-server` when the test server is in use, undefined for a real MongoDB. */
  mongoTestServer: string | undefined;
  databaseUrl: string;
}

function required(name: string, service: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: start the ${service} with 'npm run services -- up' and export 'npm run services -- env'`);
  }
  return value;
}

export function services(): ServiceSettings {
  return {
    kafkaBrokers: required('KAFKA_BROKERS', 'Kafka broker').split(','),
    schemaRegistryUrl: required('SCHEMA_REGISTRY_URL', 'Schema Registry'),
    mongoUri: required('MONGODB_URI', 'MongoDB server'),
    mongoTestServer: process.env.MONGODB_TEST_SERVER || undefined,
    databaseUrl: required('DATABASE_URL', 'PostgreSQL server'),
  };
}

/** A name unique to this test run, so tests can share the services without colliding. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
