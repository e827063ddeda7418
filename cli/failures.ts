/** A command line the command cannot run: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

/** A failure whose message already says what went wrong and what to do (services.sh did not start, ...). */
export class ExplainedError extends Error {}

type Props = { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; port?: unknown; address?: unknown };

/** The failures and causes of `err`, outermost first (AggregateError's members included). */
function* chain(err: unknown): Generator<Props> {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    yield e as Props;
    queue.push((e as Props).cause);
    if (e instanceof AggregateError) queue.push(...(e.errors as unknown[]));
  }
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * One line for an expected failure of a command, saying what to do about it: a port in use, a
 * service that cannot be reached, documents already written. Anything else is its message's first
 * line (the stack only with --verbose or DEBUG).
 */
export function describeFailure(err: unknown): string {
  const first = text((err as Props)?.message).split('\n')[0] || String(err);
  if (err instanceof ExplainedError) return first;
  for (const e of chain(err)) {
    const code = text(e.code);
    const name = text(e.name);
    const message = text(e.message);
    if (code === 'EADDRINUSE') {
      const port = typeof e.port === 'number' ? ` ${e.port}` : '';
      return `port${port} is taken by another process: stop it, or give conflux another port (rest.port in the worker config, --port for the demo; 0 picks a free one)`;
    }
    if (name.startsWith('KafkaJS') && /connect|ECONNREFUSED|broker/i.test(message)) {
      return `cannot reach Kafka (${message}): is it running? \`npm run services -- up kafka\` starts a local one; bootstrap.servers (KAFKA_BROKERS) says where conflux looks`;
    }
    if (name === 'MongoServerSelectionError' || name === 'MongoNetworkError') {
      return `cannot reach MongoDB (${message}): is it running? \`npm run services -- up mongo\` starts the local test server; MONGODB_URI says where conflux looks`;
    }
    if (code === '11000' || /E11000 duplicate key/.test(message)) {
      return 'the documents to write are already in the database (the same --seed on the same data writes the same ids): run without --seed, which picks a new one, or with another';
    }
    if (code === 'ECONNREFUSED') {
      const where = text(e.address) && typeof e.port === 'number' ? ` ${text(e.address)}:${e.port}` : '';
      return `nothing answers at${where || ' the configured address'} (${first}): start the service (\`npm run services -- up\` for the local ones) or fix the address`;
    }
  }
  return first;
}
