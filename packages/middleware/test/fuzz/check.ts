/** The checks every fuzzed response must pass, shared by the in-process and the HTTP properties. */
import { parseCookies } from '../../src/cookies/index.js';

/** Collects unhandled rejections and uncaught exceptions while installed. */
export function watchProcess(): { readonly errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const onError = (err: unknown) => {
    errors.push(err);
  };
  process.on('unhandledRejection', onError);
  process.on('uncaughtException', onError);
  return {
    errors,
    stop() {
      process.off('unhandledRejection', onError);
      process.off('uncaughtException', onError);
    },
  };
}

export { within } from '../../../server/test/within.js';

/**
 * The problems with a `Set-Cookie` list: each value's `name=value` pair must read back, through
 * `parseCookies`, as exactly that name and value.
 */
export function setCookieProblems(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of values) {
    const pair = line.split(';', 1)[0] ?? '';
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const parsed = parseCookies(pair);
    if (eq <= 0 || parsed[name] !== value)
      out.push(`Set-Cookie does not parse back: ${JSON.stringify(line)}`);
  }
  return out;
}
