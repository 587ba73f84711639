// @ts-check
/**
 * The one line every bench server prints on stdout once it listens: `READY <port>`. run.js waits for
 * it before sending any request.
 */

/** @param {number} port */
export function ready(port) {
  process.stdout.write(`READY ${port}\n`);
}

/** The host every bench server listens on. */
export const HOST = '127.0.0.1';
