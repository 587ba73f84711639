/**
 * The end of a graceful shutdown that every adapter shares (spec/servers.md "Shutdown"): wait for
 * the requests in flight, at most `shutdownTimeout`, then run the lifespan shutdown.
 *
 * @module
 */
import type { Logger } from './logger.js';

/**
 * Waits until `idle()` holds: checked at once and every time the server calls the check that
 * `watch` is given (after a request or a connection ended). With `timeout` > 0 it resolves after
 * `timeout` ms at the latest, logging what is still open (`SRV-STOP-2`); `watch(null)` is called
 * when it resolves.
 *
 * @param idle - whether no request is in flight and no connection is open
 * @param watch - installs (or, with `null`, removes) the check the server calls on progress
 * @param timeout - the most to wait, in ms; 0 waits for as long as it takes
 * @param logger - gets the warning when the timeout cuts the wait short
 * @param left - fields for that warning (counts of requests and connections)
 */
export function drainRequests(
  idle: () => boolean,
  watch: (check: (() => void) | null) => void,
  timeout: number,
  logger: Logger,
  left: () => Record<string, unknown>,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      watch(null);
      resolve();
    };
    const timer =
      timeout > 0
        ? setTimeout(() => {
            if (!idle()) {
              logger.warn('shutdownTimeout reached: closing the remaining connections', {
                rule: 'SRV-STOP-2',
                ...left(),
              });
            }
            finish();
          }, timeout)
        : undefined;
    const check = () => {
      if (idle()) finish();
    };
    watch(check);
    check();
  });
}

/**
 * Runs the app's lifespan shutdown once the requests have drained (`SRV-LIFE-4`) and logs
 * `stopped`.
 *
 * @throws what the lifespan shutdown threw (logged first)
 */
export async function finishShutdown(lifespanShutdown: () => Promise<void>, logger: Logger): Promise<void> {
  try {
    await lifespanShutdown();
  } catch (err) {
    logger.error('lifespan shutdown failed', { error: err });
    throw err;
  }
  logger.info('stopped');
}
