/**
 * The `methodOverride()` middleware: an HTML form (which can only POST) or a limited client asks
 * for PUT, PATCH or DELETE.
 *
 * @module
 */

import { type App, type AsyncApp, asyncApp, isPorticoError, PorticoError, type Receive } from '@portico/spec';
import { bufferBody } from '../compose/body.js';
import { toAsyncApp } from '../compose/mount.js';
import { firstHeader } from '../shared/headers.js';
import { sendPlainText } from '../shared/plain-response.js';

/**
 * The key of `scope.state` (sync apps: `environ['portico.state']`) where {@link methodOverride}
 * records the method the client sent (`'POST'`) when it overrode it. Absent otherwise.
 */
export const ORIGINAL_METHOD_STATE_KEY = 'originalMethod';

/** Options of {@link methodOverride}. */
export interface MethodOverrideOptions {
  /** The request header to read, lowercase; `false` to not read one. Default `'x-http-method-override'`. */
  header?: string | false;
  /**
   * The field of an `application/x-www-form-urlencoded` body to read; `false` to not read the body.
   * Default `'_method'`. Reading it buffers the body (up to `limit` bytes) and replays it to the app.
   */
  field?: string | false;
  /** A query-string parameter to read (`'_method'`); default: none (`false`). */
  query?: string | false;
  /**
   * The methods a POST may become, case-insensitive. Default `['PUT', 'PATCH', 'DELETE']`.
   * `CONNECT` and `TRACE` are refused (ERR_INVALID_OPTION).
   */
  methods?: readonly string[];
  /**
   * The most form-body bytes held to read `field`, an integer >= 0. Default 1 MiB (1 048 576). A
   * body declared (`content-length`) over it is passed on unread and not overridden; a chunked body
   * found over it while reading is answered `413` (its first bytes are already read).
   */
  limit?: number;
}

/** Methods a POST may never become, whatever `methods` says. */
const FORBIDDEN = ['CONNECT', 'TRACE', 'GET', 'HEAD', 'OPTIONS'] as const;

// RFC 9110 section 5.6.2 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function invalid(message: string): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', message);
}

function nameOption(value: unknown, option: string, fallback: string | false): string | false {
  const v = value === undefined ? fallback : value;
  if (v === false) return false;
  if (typeof v !== 'string' || v === '')
    throw invalid(`option ${option} must be a non-empty string or false`);
  return v;
}

function isForm(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/**
 * Lets a `POST` request say which method it means: the `header` (`X-HTTP-Method-Override: DELETE`),
 * then the `query` parameter, then the `field` of a form body (`_method=DELETE`), first found
 * wins. The value, trimmed and uppercased, must be one of `methods`; anything else (another
 * method, a GET, garbage, a non-POST request) is ignored, not an error (Rack::MethodOverride,
 * express `method-override`). Only POST is overridden: a GET must stay safe (RFC 9110 section 9.2.1).
 *
 * The app gets a copy of the scope with `method` changed (a sync app sees `REQUEST_METHOD`), and
 * `scope.state.originalMethod` ({@link ORIGINAL_METHOD_STATE_KEY}) = `'POST'`. Reading the form
 * field buffers the body with `bufferBody` and hands the same bytes and events on to the app.
 * Websocket, lifespan and other scopes pass through (MW-PASS-1).
 *
 * @param options - see {@link MethodOverrideOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for a bad option, `CONNECT`, `TRACE` or a safe method
 *   (`GET`, `HEAD`, `OPTIONS`) among `methods` (when called)
 */
export function methodOverride(options: MethodOverrideOptions = {}): (app: App) => AsyncApp {
  const header = nameOption(options.header, 'header', 'x-http-method-override');
  const headerName = header === false ? false : header.toLowerCase();
  const field = nameOption(options.field, 'field', '_method');
  const query = nameOption(options.query, 'query', false);
  const methodsOption = options.methods ?? ['PUT', 'PATCH', 'DELETE'];
  if (!Array.isArray(methodsOption) || methodsOption.some((m) => typeof m !== 'string' || !TOKEN.test(m))) {
    throw invalid('option methods must be an array of method names (tokens)');
  }
  const methods = new Set(methodsOption.map((m) => m.toUpperCase()));
  for (const m of FORBIDDEN) {
    // CONNECT turns the connection into a tunnel and TRACE echoes the request (cookies included,
    // cross-site tracing): neither may be reached from a form or a header a page can set. A POST
    // that became a safe method (GET, HEAD, OPTIONS) would skip a csrf() inside this middleware.
    if (methods.has(m)) throw invalid(`option methods must not contain ${m}`);
  }
  const limit = options.limit ?? 1024 * 1024;
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw invalid(`option limit must be an integer >= 0: ${String(limit)}`);
  const pick = (value: string | null | undefined): string | undefined => {
    const m = value?.trim().toUpperCase();
    return m !== undefined && methods.has(m) ? m : undefined;
  };
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to methodOverride()');
    return asyncApp(async function methodOverrideApp(scope, receive, send) {
      if (scope.type !== 'http' || scope.method !== 'POST') return inner(scope, receive, send);
      let method = headerName === false ? undefined : pick(firstHeader(scope.headers, headerName));
      if (method === undefined && query !== false && scope.queryString !== '') {
        method = pick(new URLSearchParams(scope.queryString).get(query));
      }
      let appReceive: Receive = receive;
      if (method === undefined && field !== false && isForm(firstHeader(scope.headers, 'content-type'))) {
        const length = firstHeader(scope.headers, 'content-length');
        if (length === undefined || !/^[0-9]+$/.test(length) || Number(length) <= limit) {
          try {
            const read = await bufferBody(receive, { limit });
            appReceive = read.receive;
            if (!read.disconnected) {
              method = pick(new URLSearchParams(new TextDecoder().decode(read.body)).get(field));
            }
          } catch (error) {
            if (!isPorticoError(error, 'ERR_BODY_TOO_LARGE')) throw error;
            return sendPlainText(send, scope.method, 413, 'Content Too Large', [['connection', 'close']]);
          }
        }
      }
      if (method === undefined) return inner(scope, appReceive, send);
      scope.state[ORIGINAL_METHOD_STATE_KEY] = scope.method;
      return inner({ ...scope, method }, appReceive, send);
    });
  };
}
