/**
 * `cgiHost`: an async app that runs CGI programs (RFC 3875), as Apache's mod_cgi and Python's
 * `CGIHTTPRequestHandler` do.
 *
 * @module
 */
import type { AsyncApp, HTTPScope, Receive, Send } from '@portico/spec';
import { decodePath } from '@portico/spec';
import { mapRequest } from './map-request.js';
import { type CGIHostOptions, resolveHostOptions } from './options.js';
import { type HostContext, runProgram } from './program-run.js';
import { reply } from './replies.js';
import { RequestBody } from './request-body.js';

/** Apache's `LimitInternalRecursion` default: local redirects followed for one request. */
const MAX_LOCAL_REDIRECTS = 10;

/**
 * Makes an async app that runs the CGI programs under `options.root`.
 *
 * A request's path below the app's mount point (`scope.path`) names a program and what follows it:
 * with `root` `/srv/cgi-bin` and the app mounted at `/cgi-bin`, `GET /cgi-bin/tools/stat.py/a/b?x=1`
 * runs `/srv/cgi-bin/tools/stat.py` with `SCRIPT_NAME` `/cgi-bin/tools/stat.py` and `PATH_INFO`
 * `/a/b` (RFC 3875 sections 4.1.5 and 4.1.13). Paths with `.` or `..` segments (encoded or not) or
 * an encoded slash, names that do not exist, and programs reached through a symbolic link out of
 * `root` get `404`; directories and files without an execute bit `403` (spec/servers.md SRV-CGI-6).
 *
 * The program runs in its own directory and process group with the RFC 3875 meta-variables as its
 * whole environment (plus `PATH` and `options.env`; never `HTTP_PROXY`, `HTTP_AUTHORIZATION` only
 * with `passAuthorization`: SRV-CGI-7), standard input, output and error as pipes and no other
 * descriptor (SRV-CGI-9), and no command-line arguments: RFC 3875 section 4.4's "search string" as
 * argv is left out, since it let `?-s` reach php-cgi's options (CVE-2012-1823). The body streams to
 * its input and its output back to the client, both with backpressure.
 *
 * Its output is parsed as RFC 3875 section 6 says (SRV-CGI-8): `Status` sets the status (200
 * without it); `Location` with an absolute URI and no `Status` answers `302`; `Location` with a path
 * and no `Status` is a local redirect, which the host follows itself when the path is under its
 * mount point (as a `GET` without body, up to 10 times, as Apache does) and answers `302` otherwise,
 * since the rest of the server is out of its reach. A head that is not CGI headers, too large, cut
 * short or with a bad `Status` gives `502`; a program that runs past `timeout` is stopped (SIGTERM,
 * then SIGKILL to its group) and the request answered `504`, or cut short when the response began.
 * A client that leaves stops the program. Every program is reaped before the request's promise
 * settles. At lifespan shutdown, programs still running are stopped: their requests are answered
 * `503`, or cut short when the response began.
 *
 * @example
 * ```ts
 * import { cgiHost } from '@portico/cgi';
 * import { serve } from '@portico/http';
 *
 * await serve(cgiHost({ root: '/srv/cgi-bin', timeout: 10_000 }), { bind: ['127.0.0.1:8080'] });
 * ```
 * @throws PorticoError `ERR_INVALID_OPTION` naming an option that is not valid (`root` must be an
 *   existing directory)
 */
export function cgiHost(options: CGIHostOptions): AsyncApp {
  const ctx: HostContext = { options: resolveHostOptions(options), live: new Set() };
  return async function cgiHostApp(scope, receive, send) {
    if (scope.type === 'lifespan') return lifespan(ctx, receive, send);
    if (scope.type !== 'http') throw new Error(`cgiHost: unsupported scope type ${scope.type}`);
    await handle(ctx, scope, receive, send);
  };
}

async function lifespan(ctx: HostContext, receive: Receive, send: Send): Promise<void> {
  for (;;) {
    const event = await receive();
    if (event.type === 'lifespan.startup') await send({ type: 'lifespan.startup.complete' });
    else if (event.type === 'lifespan.shutdown') {
      const running = [...ctx.live];
      for (const run of running) run.stop('shutdown');
      await Promise.all(running.map((run) => run.exited));
      return send({ type: 'lifespan.shutdown.complete' });
    }
  }
}

async function handle(ctx: HostContext, scope: HTTPScope, receive: Receive, send: Send): Promise<void> {
  const logger = ctx.options.logger;
  const body = new RequestBody(receive);
  let current = scope;
  for (let redirects = 0; ; redirects++) {
    const target = await mapRequest(ctx.options.root, current.path, current.rawPath);
    if (!target.ok) {
      logger.debug(`cgiHost: ${target.reason}`, { path: current.rawPath, status: target.status });
      return reply(send, target.status);
    }
    const outcome = await runProgram(ctx, current, target, body, send, current === scope);
    if (outcome.kind === 'done') return;
    if (redirects === MAX_LOCAL_REDIRECTS) {
      logger.error(`cgiHost: more than ${MAX_LOCAL_REDIRECTS} local redirects`, { path: scope.rawPath });
      return reply(send, 500);
    }
    const next = redirected(current, outcome.location);
    if (next === null) return reply(send, 302, [['location', outcome.location]]);
    current = next;
  }
}

/**
 * The request a local redirect makes (RFC 3875 section 6.2.2), as Apache makes it: a `GET` of the
 * new path and query, without body; `null` when the path is not under the host's mount point.
 */
function redirected(scope: HTTPScope, location: string): HTTPScope | null {
  const hash = location.indexOf('#');
  const target = hash < 0 ? location : location.slice(0, hash);
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const decoded = decodePath(rawPath);
  const root = scope.rootPath;
  if (root !== '' && decoded !== root && !decoded.startsWith(`${root}/`)) return null;
  return {
    ...scope,
    method: 'GET',
    rawPath,
    queryString: q < 0 ? '' : target.slice(q + 1),
    path: decoded.slice(root.length),
    headers: scope.headers.filter(
      ([name]) => name !== 'content-length' && name !== 'content-type' && name !== 'transfer-encoding',
    ),
  };
}
