/** Reading the error code a call throws, for option checks (`ERR_INVALID_OPTION` and the like). */

import { isPorticoError } from '@portico/spec';

/**
 * Calls `fn` and returns the `code` of the PorticoError it throws, the thrown value itself when it
 * is not a PorticoError, or `undefined` when it returns normally.
 */
export function thrownCode(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return isPorticoError(error) ? error.code : error;
  }
  return undefined;
}
