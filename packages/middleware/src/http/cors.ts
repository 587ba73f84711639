/**
 * The `cors()` middleware: the server side of the CORS protocol of the Fetch standard (section 3.2,
 * "CORS protocol"): preflights answered, actual requests given `Access-Control-*` headers.
 *
 * @module
 */

import {
  type App,
  type AsyncApp,
  asyncApp,
  type Header,
  type HTTPScope,
  PorticoError,
  type Send,
  type WebSocketScope,
} from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import { headerValue, listMembers, withHeader, withVary } from '../shared/headers.js';
import { sendPlainText } from '../shared/plain-response.js';

/** Which origins may read responses: every one, a list of exact origins, patterns, or a predicate. */
export type CorsOrigins =
  | '*'
  | readonly string[]
  | readonly RegExp[]
  | ((origin: string, scope: HTTPScope | WebSocketScope) => boolean);

/** Options of {@link cors}. */
export interface CorsOptions {
  /**
   * Allowed origins. `'*'`: any origin (but not `null`); a list of serialized origins
   * (`https://app.example`, compared exactly; include `'null'` to allow the opaque origin); a list of
   * RegExps, tested against the whole `Origin` value (never against `null`); or a function
   * deciding per request. Default: none (every cross-origin request is denied).
   */
  origins?: CorsOrigins;
  /** Methods a preflight may ask for. Default `GET, HEAD, PUT, PATCH, POST, DELETE`. */
  methods?: readonly string[];
  /**
   * Request headers a preflight may ask for (case-insensitive). Default: whatever the preflight
   * asks for is allowed (its `Access-Control-Request-Headers` is reflected), as express's `cors`
   * does; the origin check is the gate. A list allows those headers only (a preflight asking for
   * another is refused).
   */
  allowHeaders?: readonly string[];
  /** Response headers the page may read beyond the CORS-safelisted ones. Default none. */
  exposeHeaders?: readonly string[];
  /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). Default `false`. */
  credentials?: boolean;
  /** How long, in seconds, a browser may cache a preflight answer (`Access-Control-Max-Age`). Default: not sent (browsers use 5 s). */
  maxAge?: number;
  /** Answer Private Network Access preflights (`Access-Control-Allow-Private-Network: true`). Default `false`. */
  privateNetwork?: boolean;
}

const DEFAULT_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'];
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PREFLIGHT_VARY = ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers'];

interface Settings {
  allowed: (origin: string, scope: HTTPScope | WebSocketScope) => boolean;
  /** Whether ACAO is `*` (any origin, no credentials) rather than the reflected origin. */
  wildcard: boolean;
  methods: readonly string[];
  allowHeaders: ReadonlySet<string> | undefined;
  allowHeadersValue: string | undefined;
  exposeHeaders: string | undefined;
  credentials: boolean;
  maxAge: string | undefined;
  privateNetwork: boolean;
}

function invalid(name: string, value: unknown, want: string): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', `option ${name} of cors() must be ${want}`, { value });
}

function tokens(name: string, value: unknown, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !TOKEN.test(v))) {
    throw invalid(name, value, 'a list of tokens');
  }
  return value as string[];
}

function originCheck(origins: CorsOrigins | undefined): Settings['allowed'] {
  if (origins === undefined) return () => false;
  if (origins === '*') return (origin) => origin !== 'null';
  if (typeof origins === 'function') return origins;
  if (Array.isArray(origins) && origins.every((o) => typeof o === 'string')) {
    const set = new Set(origins as readonly string[]);
    return (origin) => set.has(origin);
  }
  if (Array.isArray(origins) && origins.every((o) => o instanceof RegExp)) {
    const patterns = (origins as readonly RegExp[]).map(
      // Without `g`/`y`: a stateful RegExp would start at its last match's `lastIndex` next time.
      (p) => new RegExp(`^(?:${p.source})$`, p.flags.replace(/[gy]/g, '')),
    );
    return (origin) => origin !== 'null' && patterns.some((p) => p.test(origin));
  }
  throw invalid('origins', origins, "'*', a list of origin strings, a list of RegExps or a function");
}

function checkOptions(options: CorsOptions): Settings {
  const credentials = options.credentials ?? false;
  if (typeof credentials !== 'boolean') throw invalid('credentials', credentials, 'a boolean');
  if (options.origins === '*' && credentials) {
    // Reflecting every origin with credentials would let any site read a user's authenticated
    // responses; Fetch forbids `*` with credentials for the same reason. Name the origins instead.
    throw invalid('origins', '*', "a list or a function when credentials is true (not '*')");
  }
  const privateNetwork = options.privateNetwork ?? false;
  if (typeof privateNetwork !== 'boolean') throw invalid('privateNetwork', privateNetwork, 'a boolean');
  const { maxAge } = options;
  if (maxAge !== undefined && !(Number.isSafeInteger(maxAge) && maxAge >= 0)) {
    throw invalid('maxAge', maxAge, 'an integer number of seconds >= 0');
  }
  const allowHeaders =
    options.allowHeaders === undefined ? undefined : tokens('allowHeaders', options.allowHeaders, []);
  const exposeHeaders = tokens('exposeHeaders', options.exposeHeaders, []);
  return {
    allowed: originCheck(options.origins),
    wildcard: options.origins === '*',
    methods: tokens('methods', options.methods, DEFAULT_METHODS),
    allowHeaders: allowHeaders && new Set(allowHeaders.map((h) => h.toLowerCase())),
    allowHeadersValue: allowHeaders?.join(', '),
    exposeHeaders: exposeHeaders.length === 0 ? undefined : exposeHeaders.join(', '),
    credentials,
    maxAge: maxAge === undefined ? undefined : String(maxAge),
    privateNetwork,
  };
}

/** The `Access-Control-Allow-Origin` (and `-Credentials`) lines for an allowed origin. */
function allowOrigin(s: Settings, origin: string): Header[] {
  const out: Header[] = [['access-control-allow-origin', s.wildcard ? '*' : origin]];
  if (s.credentials) out.push(['access-control-allow-credentials', 'true']);
  return out;
}

/** Answers a preflight; `null` headers mean refused (403). */
function preflightHeaders(s: Settings, scope: HTTPScope, origin: string): Header[] | null {
  const method = headerValue(scope.headers, 'access-control-request-method')?.trim() ?? '';
  if (!s.allowed(origin, scope) || !s.methods.includes(method)) return null;
  const requested = listMembers(headerValue(scope.headers, 'access-control-request-headers')).map((h) =>
    h.toLowerCase(),
  );
  const { allowHeaders } = s;
  if (allowHeaders !== undefined && requested.some((h) => !allowHeaders.has(h))) return null;
  const out = allowOrigin(s, origin);
  out.push(['access-control-allow-methods', s.methods.join(', ')]);
  const headers = allowHeaders === undefined ? requested.join(', ') : s.allowHeadersValue;
  if (headers !== undefined && headers !== '') out.push(['access-control-allow-headers', headers]);
  if (s.maxAge !== undefined) out.push(['access-control-max-age', s.maxAge]);
  const pna = headerValue(scope.headers, 'access-control-request-private-network');
  if (s.privateNetwork && pna?.trim().toLowerCase() === 'true') {
    out.push(['access-control-allow-private-network', 'true']);
  }
  return out;
}

/**
 * Implements the CORS protocol (Fetch standard section 3.2) in front of an app.
 *
 * - **Preflight** (an `OPTIONS` request with `Origin` and `Access-Control-Request-Method`): answered
 *   here, never passed to the app. Allowed (origin allowed, method in `methods`, every requested
 *   header allowed): `204` with `Access-Control-Allow-Origin`, `-Allow-Methods`, `-Allow-Headers`,
 *   `-Max-Age`, `-Allow-Credentials` as configured. Refused: `403` with a short text body and no
 *   CORS headers (the browser then fails the request; a 403 is explicit in logs, which a 200
 *   without headers is not). Both carry `Vary: Origin, Access-Control-Request-Method,
 *   Access-Control-Request-Headers`.
 * - **Actual requests** with an allowed `Origin`: the app's response gets
 *   `Access-Control-Allow-Origin` (`*` when `origins` is `'*'`, else the request's origin),
 *   `-Allow-Credentials: true` when `credentials`, `-Expose-Headers` when set (each replacing a
 *   value the app set). Unless `origins` is `'*'`, `Vary: Origin` is added to every response,
 *   allowed or not, so that caches keep the variants apart. Disallowed or absent `Origin`: the app
 *   answers as usual, without CORS headers. With `origins: '*'` the response does not depend on
 *   the origin: `Access-Control-Allow-Origin: *` (and `-Expose-Headers`) go on every response, also
 *   to requests without `Origin`, and no `Vary` is added; only a refused `null` origin gets a
 *   response without them, with `Vary: Origin`.
 * - `Access-Control-Allow-Origin: *` is never sent with credentials: `origins: '*'` with
 *   `credentials: true` is refused when the middleware is built.
 * - **Websocket**: browsers send `Origin` but do not apply CORS to websockets, so a handshake whose
 *   `Origin` is present and not allowed is refused here (`websocket.close` 1008 before accept: the
 *   server answers 403). A handshake without `Origin` (not from a browser) passes.
 * - Other scope types pass through (MW-PASS-1).
 *
 * @param options - see {@link CorsOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option, when called (not per request)
 */
export function cors(options: CorsOptions = {}): (app: App) => AsyncApp {
  const s = checkOptions(options);
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to cors()');
    return asyncApp(async function corsApp(scope, receive, send) {
      if (scope.type === 'websocket') {
        const origin = headerValue(scope.headers, 'origin');
        if (origin === undefined || s.allowed(origin, scope)) return inner(scope, receive, send);
        await receive(); // websocket.connect
        return send({ type: 'websocket.close', code: 1008, reason: 'origin not allowed' });
      }
      if (scope.type !== 'http') return inner(scope, receive, send);
      const origin = headerValue(scope.headers, 'origin');
      if (
        scope.method === 'OPTIONS' &&
        origin !== undefined &&
        headerValue(scope.headers, 'access-control-request-method') !== undefined
      ) {
        const allowed = preflightHeaders(s, scope, origin);
        const vary = withVary([], PREFLIGHT_VARY);
        if (allowed === null) {
          return sendPlainText(send, scope.method, 403, 'CORS preflight refused', vary);
        }
        await send({ type: 'http.response.start', status: 204, headers: [...allowed, ...vary] });
        return send({ type: 'http.response.body' });
      }
      // With `'*'` every response carries `ACAO: *`, with an Origin or without (a same-origin GET),
      // so that a cache keying on the URL alone serves a readable answer to any origin. Only the
      // refused `null` origin gets an answer without it, marked `Vary: Origin` to keep it apart.
      const allowed = s.wildcard
        ? origin === undefined || s.allowed(origin, scope)
        : origin !== undefined && s.allowed(origin, scope);
      const add = allowed ? allowOrigin(s, origin ?? '*') : [];
      if (add.length > 0 && s.exposeHeaders !== undefined) {
        add.push(['access-control-expose-headers', s.exposeHeaders]);
      }
      const vary = !s.wildcard || !allowed;
      const corsSend: Send = (event) => {
        if (event.type !== 'http.response.start') return send(event);
        let headers = vary ? withVary(event.headers, ['Origin']) : [...(event.headers ?? [])];
        for (const [name, value] of add) headers = withHeader(headers, name, value);
        return send({ ...event, headers });
      };
      return inner(scope, receive, corsSend);
    });
  };
}
