/**
 * The node:http request handler: builds the scope from what llhttp parsed (spec/servers.md "From the
 * wire to the scope") and runs the app through a {@link NodeCycle}.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FIXED_RESPONSES, SPEC_INFO } from '@portico/server';
import type { AsyncApp, Extensions, HTTPScope, State } from '@portico/spec';
import { decodePath, splitRootPath } from '@portico/spec';
import { addActive, type Core, connectionOf } from './core.js';
import { NodeCycle } from './node-cycle.js';
import { type HTTPServerOptions, resolveOptions } from './options.js';
import { type HeadFacts, scanHeaders, splitTarget, type Target } from './request-head.js';

const NONE = Object.freeze({}) as Record<string, never>;
// Shared and frozen: made once, never per request; apps and middleware copy before changing them.
const EXTENSIONS_11: Extensions = Object.freeze({
  'http.response.trailers': NONE,
  'http.response.early_hints': NONE,
  'http.response.pathsend': NONE,
});
// HTTP/1.0 has neither chunked coding (for trailers) nor 1xx responses (RFC 9110 section 15.2).
const EXTENSIONS_10: Extensions = Object.freeze({ 'http.response.pathsend': NONE });

const facts: HeadFacts = {
  contentLength: -1,
  transferEncoding: false,
  refusal: null,
  refusalStatus: 400,
  rule: '',
};
const target: Target = { rawPath: '', queryString: '' };

/** Handles one request; `expectContinue` when it came through node's `checkContinue` event. */
export function handleRequest(
  core: Core,
  unixPath: string | null,
  req: IncomingMessage,
  res: ServerResponse,
  expectContinue: boolean,
): void {
  const conn = connectionOf(core, req.socket, unixPath);
  const headers = scanHeaders(req.rawHeaders, core.maxHeadersCount, facts);
  if (facts.refusal !== null) {
    refuse(core, res, facts.refusalStatus, facts.refusal, facts.rule);
    return;
  }
  const declaredLength = facts.contentLength;
  const hasBody = facts.transferEncoding || declaredLength > 0;
  const { rawPath, queryString } = splitTarget(req.url ?? '/', target);
  // `SRV-PATH-1`, `SRV-PATH-2`: percent-decode then UTF-8-decode, then move the root path out.
  // `SRV-PATH-3`: nothing else: no dot-segment removal, no slash merging (the app sees the request).
  const decoded = decodePath(rawPath);
  let rootPath = '';
  let path = decoded;
  if (core.rootPath !== '') [rootPath, path] = splitRootPath(decoded, core.rootPath);
  const httpVersion = req.httpVersion === '1.0' ? '1.0' : '1.1';
  const method = req.method ?? 'GET';
  const scope: HTTPScope = {
    type: 'http',
    spec: SPEC_INFO,
    httpVersion,
    method,
    scheme: 'http',
    path,
    rawPath,
    queryString,
    rootPath,
    headers,
    client: conn.client,
    server: conn.server,
    // `SRV-SCOPE-4`: a fresh shallow copy of the lifespan state for every request.
    state: { ...core.state } as State,
    extensions: httpVersion === '1.1' ? EXTENSIONS_11 : EXTENSIONS_10,
  };
  const cycle = new NodeCycle(
    core,
    conn,
    req,
    res,
    method === 'HEAD',
    hasBody,
    httpVersion === '1.1',
    expectContinue,
    declaredLength,
  );
  addActive(conn, cycle);
  core.inFlight++;
  void cycle.run(core.app, scope, declaredLength);
}

/** Answers a request the server refuses before the app sees it; the connection closes after. */
function refuse(core: Core, res: ServerResponse, status: 400 | 431, reason: string, rule: string): void {
  core.logger.info(`request refused: ${reason}`, { rule, status });
  const fixed = FIXED_RESPONSES[status];
  res.writeHead(status, fixed.headers as unknown as Record<string, string>);
  res.end(fixed.body);
}

/** Builds the per-server state from resolved options. */
export function createCore(
  app: AsyncApp,
  options: ReturnType<typeof resolveOptions>,
  state: State,
  tracked: boolean,
): Core {
  return {
    app,
    logger: options.logger,
    maxBodySize: options.maxBodySize,
    accessLog: options.accessLog,
    rootPath: options.rootPath,
    maxHeadersCount: options.maxHeadersCount,
    state,
    closing: false,
    inFlight: 0,
    connections: tracked ? new Set() : null,
    onProgress: null,
  };
}

/** A node:http request listener that runs a Portico app, with its `checkContinue` twin. */
export interface RequestListener {
  (req: IncomingMessage, res: ServerResponse): void;
  /** For `server.on('checkContinue', ...)`: 100 Continue is sent when the app first calls receive(). */
  checkContinue(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * Makes a node:http request listener for `app`, for use with your own `http.createServer()` (tests,
 * benchmarks, embedding). It maps requests exactly like {@link serve} but runs no lifespan (every
 * scope's `state` starts empty), listens nowhere, and leaves the server options (timeouts, header
 * size) and shutdown to you. Of {@link HTTPServerOptions} it reads `rootPath`, `maxBodySize`,
 * `maxHeadersCount`, `logger` and `accessLog`.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` for an invalid option
 */
export function createRequestListener(app: AsyncApp, options: HTTPServerOptions = {}): RequestListener {
  const core = createCore(app, resolveOptions(options), {}, false);
  const listener = ((req: IncomingMessage, res: ServerResponse) =>
    handleRequest(core, null, req, res, false)) as RequestListener;
  listener.checkContinue = (req, res) => handleRequest(core, null, req, res, true);
  return listener;
}
