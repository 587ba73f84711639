/**
 * Building scopes exactly as a real server builds them (spec/servers.md "From the wire to scope").
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import type { Header, HTTPScope, SpecInfo, State, WebSocketScope } from '@portico/spec';
import { decodePath, isHeaderName, PorticoError, splitRootPath } from '@portico/spec';
import { type BodySource, bodySource, type RequestBody } from './body.js';
import { type HeadersInit, hasHeader, mergeHeaders, normalizeHeaders } from './headers.js';
import { hostFor, type ResolvedOptions } from './options.js';
import { parseTarget, type QueryInit, type RequestTarget } from './target.js';

/** The interface version and scope spec version the test client announces (spec/README.md). */
export const SPEC: SpecInfo = Object.freeze({ version: '1.0', specVersion: '1.0' });

/** Options of one request. */
export interface RequestInit {
  /** Request headers; replace the client's default headers of the same name. */
  headers?: HeadersInit;
  /** Query parameters, appended (with `&`) to any query already in the path. */
  query?: QueryInit;
  /** The body; see {@link RequestBody}. Adds `content-length` (or `transfer-encoding: chunked`). */
  body?: RequestBody;
  /** A value sent as JSON: `JSON.stringify`, UTF-8, `content-type: application/json` unless set. */
  json?: unknown;
  /**
   * Aborting this signal makes the client disconnect: the app's `receive()` returns
   * `http.disconnect` (even one already waiting) and its `send()` rejects with
   * `ERR_CLIENT_DISCONNECTED`. The request then rejects with `signal.reason` once the app settles.
   * After `stream()` resolved, aborting is the same as calling `disconnect()`.
   */
  signal?: AbortSignal;
  /** `scope.httpVersion`. Default `'1.1'`. */
  httpVersion?: HTTPScope['httpVersion'];
}

/** What a request becomes: the scope, and where its body events come from. */
export interface BuiltRequest {
  readonly scope: HTTPScope;
  readonly body: BodySource;
}

function splitPath(rawPath: string, rootPath: string): readonly [string, string] {
  return splitRootPath(decodePath(rawPath), rootPath);
}

function baseHeaders(
  opts: ResolvedOptions,
  own: HeadersInit | undefined,
  target: RequestTarget,
  scheme: string,
) {
  const headers = mergeHeaders(opts.headers, normalizeHeaders(own));
  if (!hasHeader(headers, 'host'))
    headers.unshift(['host', target.authority ?? hostFor(opts.server, scheme)]);
  return headers;
}

/**
 * Builds the `http` scope of a request as a server on the wire would: the method uppercased, the
 * path percent-encoded where a client must encode it, `rawPath` / `queryString` as sent,
 * `path` = `decodePath(rawPath)` with the configured `rootPath` split off by `splitRootPath`, header
 * names lowercase with order and duplicates kept, a Host header added when the request has none,
 * `content-length` (or `transfer-encoding: chunked` for an iterable body) added when the request
 * has a body and sets neither, and `state` a shallow copy of `lifespanState`.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` for a bad method, path or body;
 *   `ERR_BAD_HEADER` for a header a server would refuse
 */
export function buildHTTPScope(
  opts: ResolvedOptions,
  method: string,
  path: string,
  init: RequestInit,
  lifespanState: State,
): BuiltRequest {
  if (typeof method !== 'string' || !isHeaderName(method)) {
    throw new PorticoError('ERR_INVALID_OPTION', `method must be an HTTP token: ${JSON.stringify(method)}`);
  }
  const target = parseTarget(path, init.query);
  const scheme =
    target.scheme === 'https' || target.scheme === 'wss' ? 'https' : (target.scheme ?? opts.scheme);
  const headers = baseHeaders(opts, init.headers, target, scheme);
  const body = bodySource(init.body, init.json, 'json' in init && init.json !== undefined);
  if (init.json !== undefined && !hasHeader(headers, 'content-type')) {
    headers.push(['content-type', 'application/json']);
  }
  if (!hasHeader(headers, 'content-length') && !hasHeader(headers, 'transfer-encoding')) {
    if (body.length !== null) headers.push(['content-length', String(body.length)]);
    else if (init.body !== undefined) headers.push(['transfer-encoding', 'chunked']);
  }
  const [rootPath, decoded] = splitPath(target.rawPath, opts.rootPath);
  const scope: HTTPScope = {
    type: 'http',
    spec: SPEC,
    httpVersion: init.httpVersion ?? '1.1',
    method: method.toUpperCase(),
    scheme,
    path: decoded,
    rawPath: target.rawPath,
    queryString: target.queryString,
    rootPath,
    headers,
    client: opts.client,
    server: opts.server,
    state: { ...lifespanState },
    extensions: { ...opts.extensions },
  };
  return { scope, body };
}

/** Options of a websocket session. */
export interface WebSocketInit {
  /** Handshake headers; replace the client's default headers of the same name. */
  headers?: HeadersInit;
  /** Query parameters, appended to any query in the path. */
  query?: QueryInit;
  /** Subprotocols offered, in order (`sec-websocket-protocol`). Default none. */
  subprotocols?: readonly string[];
}

/**
 * Builds the `websocket` scope of a handshake as a server would (RFC 6455 section 4.1): the same
 * path, header and state rules as {@link buildHTTPScope}, plus the handshake headers a client sends
 * (`connection`, `upgrade`, `sec-websocket-key`, `sec-websocket-version`, `sec-websocket-protocol`)
 * and scheme `ws` / `wss`.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` for a bad path or subprotocol; `ERR_BAD_HEADER`
 */
export function buildWebSocketScope(
  opts: ResolvedOptions,
  path: string,
  init: WebSocketInit,
  lifespanState: State,
): WebSocketScope {
  const target = parseTarget(path, init.query);
  const secure =
    target.scheme === null ? opts.scheme === 'https' : target.scheme === 'https' || target.scheme === 'wss';
  const scheme = secure ? 'wss' : 'ws';
  const subprotocols = [...(init.subprotocols ?? [])];
  for (const p of subprotocols) {
    if (typeof p !== 'string' || !isHeaderName(p)) {
      throw new PorticoError('ERR_INVALID_OPTION', `subprotocol must be a token: ${JSON.stringify(p)}`);
    }
  }
  const headers = baseHeaders(opts, init.headers, target, scheme);
  const add = (h: Header) => {
    if (!hasHeader(headers, h[0])) headers.push(h);
  };
  add(['connection', 'Upgrade']);
  add(['upgrade', 'websocket']);
  add(['sec-websocket-key', randomBytes(16).toString('base64')]);
  add(['sec-websocket-version', '13']);
  if (subprotocols.length > 0) add(['sec-websocket-protocol', subprotocols.join(', ')]);
  const [rootPath, decoded] = splitPath(target.rawPath, opts.rootPath);
  return {
    type: 'websocket',
    spec: SPEC,
    httpVersion: '1.1',
    scheme,
    path: decoded,
    rawPath: target.rawPath,
    queryString: target.queryString,
    rootPath,
    headers,
    client: opts.client,
    server: opts.server,
    state: { ...lifespanState },
    extensions: { ...opts.extensions },
    subprotocols,
  };
}
