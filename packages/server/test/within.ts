/** A promise with a deadline, for tests that must fail rather than hang. */

/**
 * Settles as `promise` does, or rejects after `ms` with `${what}: no answer within ${ms} ms`; the
 * timer is cleared either way.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
