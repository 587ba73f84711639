/**
 * The sync validator's checks of `environ` (spec/sync.md "environ"): what the server hands the app.
 * Every rule here is server side.
 *
 * @module
 */
import { isByteString, isHeaderName } from '../headers.js';
import type { Report } from './violation.js';

/** Keys every environ carries (SYNC-ENV-2). */
export const REQUIRED = [
  'REQUEST_METHOD',
  'SCRIPT_NAME',
  'PATH_INFO',
  'QUERY_STRING',
  'SERVER_NAME',
  'SERVER_PORT',
  'SERVER_PROTOCOL',
  'portico.version',
  'portico.url_scheme',
  'portico.input',
  'portico.errors',
  'portico.multithread',
  'portico.multiprocess',
  'portico.run_once',
  'portico.input_terminated',
  'portico.state',
] as const;

const INPUT_METHODS = ['read', 'readline', 'readlines'] as const;
const ERRORS_METHODS = ['write', 'writelines', 'flush'] as const;
const FLAGS = ['portico.multithread', 'portico.multiprocess', 'portico.run_once'] as const;
const DIGITS = /^[0-9]+$/;
const PROTOCOL = /^HTTP\/[0-9](?:\.[0-9])?$/;

/** Whether `v` is an object created by `{}` or `Object.create(null)`. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Whether `s` has no lone UTF-16 surrogate (what UTF-8 decoding always produces). */
function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

function hasMethods(v: unknown, names: readonly string[]): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return names.every((name) => typeof o[name] === 'function');
}

/** Checks the CGI variables: string types, byte strings, syntax (SYNC-ENV-3..7). */
function checkCGIVariables(env: Record<string, unknown>, report: Report): void {
  for (const key of Object.keys(env)) {
    if (key.includes('.')) continue; // an extension key: any type
    const value = env[key];
    if (typeof value !== 'string') {
      report('SYNC-ENV-3', 'server', `environ ${key} is not a string`, value);
      continue;
    }
    if (key !== 'SCRIPT_NAME' && key !== 'PATH_INFO' && !isByteString(value)) {
      report('SYNC-ENV-3', 'server', `environ ${key} is not a byte string (a code unit is over 0xFF)`, value);
    }
    if (key.startsWith('HTTP_') && (key.length === 5 || /[a-z-]/.test(key))) {
      report('SYNC-ENV-6', 'server', `environ key ${key} is not HTTP_ and the uppercased header name`, key);
    }
  }
  const method = env.REQUEST_METHOD;
  if (typeof method === 'string' && !isHeaderName(method)) {
    report('SYNC-ENV-4', 'server', 'REQUEST_METHOD is not a token', method);
  }
  if (env.SERVER_NAME === '') report('SYNC-ENV-4', 'server', 'SERVER_NAME is empty', env.SERVER_NAME);
  const port = env.SERVER_PORT;
  if (typeof port === 'string' && !DIGITS.test(port)) {
    report('SYNC-ENV-4', 'server', 'SERVER_PORT is not a decimal port number', port);
  }
  const protocol = env.SERVER_PROTOCOL;
  if (typeof protocol === 'string' && !PROTOCOL.test(protocol)) {
    report('SYNC-ENV-4', 'server', 'SERVER_PROTOCOL is not HTTP/<version>', protocol);
  }
  const script = env.SCRIPT_NAME;
  if (typeof script === 'string') {
    if (script !== '' && (!script.startsWith('/') || script.endsWith('/'))) {
      report(
        'SYNC-ENV-5',
        'server',
        'SCRIPT_NAME is neither "" nor a path starting and not ending with "/"',
        script,
      );
    } else if (!isWellFormed(script)) {
      report('SYNC-ENV-5', 'server', 'SCRIPT_NAME has a lone UTF-16 surrogate', script);
    }
  }
  const pathInfo = env.PATH_INFO;
  if (typeof pathInfo === 'string') {
    if (pathInfo !== '' && !pathInfo.startsWith('/')) {
      report('SYNC-ENV-5', 'server', 'PATH_INFO is neither "" nor a path starting with "/"', pathInfo);
    } else if (!isWellFormed(pathInfo)) {
      report('SYNC-ENV-5', 'server', 'PATH_INFO has a lone UTF-16 surrogate', pathInfo);
    }
  }
  for (const key of ['HTTP_CONTENT_TYPE', 'HTTP_CONTENT_LENGTH']) {
    if (key in env)
      report('SYNC-ENV-6', 'server', `environ has ${key}; the header goes in ${key.slice(5)}`, key);
  }
  const length = env.CONTENT_LENGTH;
  if (typeof length === 'string' && !DIGITS.test(length)) {
    report('SYNC-ENV-6', 'server', 'CONTENT_LENGTH is present but not a decimal number', length);
  }
  if ('HTTP_PROXY' in env) {
    report(
      'SYNC-ENV-7',
      'server',
      'environ has HTTP_PROXY (made from a Proxy: header: httpoxy)',
      env.HTTP_PROXY,
    );
  }
}

/** Checks the `portico.*` keys (SYNC-ENV-8..12). */
function checkPorticoVariables(env: Record<string, unknown>, report: Report): void {
  const version = env['portico.version'];
  if (
    'portico.version' in env &&
    !(
      Array.isArray(version) &&
      version.length === 2 &&
      version[0] === 1 &&
      Number.isInteger(version[1]) &&
      (version[1] as number) >= 0
    )
  ) {
    report('SYNC-ENV-8', 'server', 'portico.version is not [1, minor]', version);
  }
  const scheme = env['portico.url_scheme'];
  if ('portico.url_scheme' in env && scheme !== 'http' && scheme !== 'https') {
    report('SYNC-ENV-9', 'server', 'portico.url_scheme is not "http" or "https"', scheme);
  }
  const input = env['portico.input'];
  if ('portico.input' in env && !(hasMethods(input, INPUT_METHODS) && isIterable(input))) {
    report(
      'SYNC-ENV-10',
      'server',
      'portico.input lacks read, readline, readlines or [Symbol.iterator]',
      input,
    );
  }
  const errors = env['portico.errors'];
  if ('portico.errors' in env && !hasMethods(errors, ERRORS_METHODS)) {
    report('SYNC-ENV-10', 'server', 'portico.errors lacks write, writelines or flush', errors);
  }
  for (const key of FLAGS) {
    if (key in env && typeof env[key] !== 'boolean')
      report('SYNC-ENV-11', 'server', `${key} is not a boolean`, env[key]);
  }
  if ('portico.input_terminated' in env && env['portico.input_terminated'] !== true) {
    report('SYNC-ENV-11', 'server', 'portico.input_terminated is not true', env['portico.input_terminated']);
  }
  const state = env['portico.state'];
  if ('portico.state' in env && (typeof state !== 'object' || state === null || Array.isArray(state))) {
    report('SYNC-ENV-12', 'server', 'portico.state is not an object', state);
  }
  const fileWrapper = env['portico.file_wrapper'];
  if (fileWrapper !== undefined && typeof fileWrapper !== 'function') {
    report('SYNC-ENV-12', 'server', 'portico.file_wrapper is present but not a function', fileWrapper);
  }
}

/** Whether `v` has a `[Symbol.iterator]` method. */
export function isIterable(v: unknown): v is Iterable<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  );
}

/**
 * Checks an environ the server built (spec/sync.md "environ"), reporting each broken rule as a
 * server-side violation: a plain object (SYNC-ENV-1) with the required keys (SYNC-ENV-2), CGI
 * variables that are byte strings of the right syntax (SYNC-ENV-3..7) and well-formed `portico.*`
 * keys (SYNC-ENV-8..12).
 *
 * @returns whether `environ` is an object the other checks can read
 */
export function checkEnviron(environ: unknown, report: Report): environ is Record<string, unknown> {
  if (!isPlainObject(environ)) {
    report('SYNC-ENV-1', 'server', 'environ is not a plain object', environ);
    return typeof environ === 'object' && environ !== null;
  }
  for (const key of REQUIRED) {
    if (!Object.hasOwn(environ, key))
      report('SYNC-ENV-2', 'server', `environ lacks the required key ${key}`, key);
  }
  checkCGIVariables(environ, report);
  checkPorticoVariables(environ, report);
  return true;
}
