/**
 * Settles with `work`, or rejects as soon as `signal` aborts. For calls that cannot be cancelled
 * (a kafkajs connect() retrying against an unreachable broker) but must not hold up a stop: the
 * call goes on in the background and its outcome is ignored.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new Error('stopped'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Connects a kafkajs client unless the task is stopped first. A connect abandoned by a stop still
 * completes in the background; the client is then disconnected, so no socket outlives the task.
 */
export function connectUnlessStopped(client: { connect(): Promise<void>; disconnect(): Promise<void> }, signal: AbortSignal): Promise<void> {
  const connecting = client.connect();
  return abortable(connecting, signal).catch((err: unknown) => {
    if (signal.aborted) {
      connecting.then(
        () => client.disconnect(),
        () => undefined,
      );
    }
    throw err;
  });
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Waits for `work` at most `ms`; on timeout calls `onTimeout` and resolves (the work goes on). */
export async function withTimeout(work: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const outcome = await Promise.race([
    work.then(
      () => 'done' as const,
      () => 'done' as const,
    ),
    timeout,
  ]);
  clearTimeout(timer);
  if (outcome === 'timeout') onTimeout();
}

/** Resolves when `signal` aborts, at once if it already has. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
