/**
 * True for a promise or any thenable. The runners' hot loops call transforms and converters that
 * answer synchronously when they can; only a value that is a promise is awaited.
 */
export function isPromise<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
