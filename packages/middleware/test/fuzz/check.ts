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

/** What {@link responseProblems} checks of one fuzzed request, however it was sent. */
export interface FuzzedResponse {
  readonly status: number;
  /** The body as text, read only for a 5xx. */
  body(): string;
  /** The validator violations reported during this request. */
  readonly violations: readonly { readonly message: string }[];
  /** Access log lines written for this request; `undefined` when it cannot be told (concurrency). */
  readonly logLines: number | undefined;
  readonly setCookie: readonly string[];
  readonly processErrors: readonly unknown[];
}

/**
 * The problems every fuzzed response is checked for: a status outside 100..599, a 5xx, validator
 * violations, other than one access log line, `Set-Cookie` values that do not read back, and
 * unhandled rejections or uncaught exceptions.
 */
export function responseProblems(r: FuzzedResponse): string[] {
  const out: string[] = [];
  if (r.status < 100 || r.status > 599) out.push(`status ${r.status}`);
  if (r.status >= 500) out.push(`status ${r.status}: ${r.body().slice(0, 200)}`);
  for (const v of r.violations) out.push(`violation: ${v.message}`);
  if (r.logLines !== undefined && r.logLines !== 1) out.push(`${r.logLines} access log lines`);
  out.push(...setCookieProblems(r.setCookie));
  if (r.processErrors.length > 0) out.push(`process: ${r.processErrors.map(String).join('; ')}`);
  return out;
}
