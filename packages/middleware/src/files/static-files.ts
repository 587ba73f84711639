/**
 * The `staticFiles()` middleware: files under a directory, with validators, conditional requests
 * and single byte ranges (RFC 9110 sections 8.8, 13 and 14).
 *
 * @module
 */

import { realpathSync, type Stats, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type App,
  type AsyncApp,
  asyncApp,
  type Header,
  type HTTPScope,
  PorticoError,
  type Send,
} from '@portico/spec';
import mime from 'mime-types';
import { toAsyncApp } from '../compose/mount.js';
import { sendPlainText } from '../shared/plain-response.js';
import { streamFileRange } from './file-body.js';
import { conditionalHeaders, evaluatePreconditions, ifRangeMatches } from './preconditions.js';
import { contentRange, parseRange, unsatisfiedRange } from './range.js';
import { type DotfilesPolicy, type Lookup, lookupFile } from './resolve.js';
import { type EntityTag, formatEntityTag, formatHTTPDate } from './validators.js';

/** Options of {@link staticFiles}. */
export interface StaticFilesOptions {
  /** The directory served (relative to the working directory, or absolute). Required; must exist. */
  root: string;
  /** File names tried, in order, for a directory. Default `['index.html']`; `[]` for none. */
  index?: readonly string[];
  /**
   * A path with a segment starting with `.` (`/.env`, `/.git/config`): `'ignore'` (default) treats
   * it as absent (falls through / 404), `'deny'` answers 403, `'allow'` serves it.
   */
  dotfiles?: DotfilesPolicy;
  /** `max-age` of `Cache-Control: public, max-age=N`, in seconds. Default `0`. */
  maxAge?: number;
  /** Add `immutable` to `Cache-Control`. Default `false`. */
  immutable?: boolean;
  /** Send a weak `ETag` `W/"<size hex>-<mtime ms hex>"`. Default `true`. */
  etag?: boolean;
  /** Send `Last-Modified` (the file's mtime). Default `true`. */
  lastModified?: boolean;
  /**
   * Requests with no file to serve, and methods other than GET/HEAD, go to the wrapped app. Default
   * `true`. With `false` they are answered here: `404 Not Found`, `405 Method Not Allowed` with
   * `Allow: GET, HEAD`.
   */
  fallthrough?: boolean;
  /**
   * Hand whole-file 200 responses to the server with `http.response.pathsend` when the scope offers
   * it (zero-copy `sendfile` where the server can). Default `true`.
   */
  pathsend?: boolean;
  /** Most bytes per `http.response.body` event when the file is streamed. Default `65536` (64 KiB). */
  chunkSize?: number;
}

interface Resolved {
  readonly root: string;
  readonly index: readonly string[];
  readonly dotfiles: DotfilesPolicy;
  readonly cacheControl: string;
  readonly etag: boolean;
  readonly lastModified: boolean;
  readonly fallthrough: boolean;
  readonly pathsend: boolean;
  readonly chunkSize: number;
}

function bad(message: string): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', `staticFiles(): ${message}`);
}

function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw bad(`option ${name} must be a boolean`);
  return value;
}

function resolveOptions(options: StaticFilesOptions): Resolved {
  if (typeof options !== 'object' || options === null) throw bad('options must be an object');
  if (typeof options.root !== 'string' || options.root === '')
    throw bad('option root must be a directory path');
  let root: string;
  try {
    root = realpathSync(resolve(options.root));
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `staticFiles(): option root is not a directory: ${options.root} (${(error as Error).message})`,
      { cause: error },
    );
  }
  const index = options.index ?? ['index.html'];
  if (
    !Array.isArray(index) ||
    !index.every((n) => typeof n === 'string' && n !== '' && n !== '.' && n !== '..' && !/[/\\\0]/.test(n))
  ) {
    throw bad('option index must be an array of file names');
  }
  const dotfiles = options.dotfiles ?? 'ignore';
  if (dotfiles !== 'ignore' && dotfiles !== 'deny' && dotfiles !== 'allow') {
    throw bad(`option dotfiles must be 'ignore', 'deny' or 'allow': ${String(dotfiles)}`);
  }
  const maxAge = options.maxAge ?? 0;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0)
    throw bad('option maxAge must be a whole number of seconds >= 0');
  const immutable = checkBoolean('immutable', options.immutable, false);
  const chunkSize = options.chunkSize ?? 65536;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > 2 ** 30) {
    throw bad('option chunkSize must be a whole number of bytes from 1 to 2^30');
  }
  return {
    root,
    index,
    dotfiles,
    cacheControl: `public, max-age=${maxAge}${immutable ? ', immutable' : ''}`,
    etag: checkBoolean('etag', options.etag, true),
    lastModified: checkBoolean('lastModified', options.lastModified, true),
    fallthrough: checkBoolean('fallthrough', options.fallthrough, true),
    pathsend: checkBoolean('pathsend', options.pathsend, true),
    chunkSize,
  };
}

/** The weak ETag of a file: `W/"<size hex>-<mtime ms hex>"` (the scheme of `serve-static`/`send`). */
export function fileETag(stat: Pick<Stats, 'size' | 'mtimeMs'>): EntityTag {
  return { weak: true, opaque: `${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}` };
}

/** The `Content-Type` for a file name: from its extension (mime-types), `charset=utf-8` for text. */
export function fileContentType(path: string): string {
  return mime.contentType(path.slice(path.lastIndexOf('/') + 1)) || 'application/octet-stream';
}

async function sendFile(
  scope: HTTPScope,
  send: Send,
  found: Extract<Lookup, { kind: 'file' }>,
  o: Resolved,
): Promise<void> {
  const { stat, path, handle } = found;
  const size = stat.size;
  const etag = o.etag ? fileETag(stat) : undefined;
  const mtime = o.lastModified ? Math.floor(stat.mtimeMs / 1000) * 1000 : undefined;
  const validators: Header[] = [];
  if (etag !== undefined) validators.push(['etag', formatEntityTag(etag)]);
  if (mtime !== undefined) validators.push(['last-modified', formatHTTPDate(mtime)]);
  validators.push(['cache-control', o.cacheControl]);
  const request = conditionalHeaders(scope.headers);
  const current = { etag, lastModified: mtime };
  const outcome = evaluatePreconditions(scope.method, request, current);
  if (outcome === 'not-modified') return sendPlainText(send, scope.method, 304, '', validators);
  if (outcome === 'failed') return sendPlainText(send, scope.method, 412, 'Precondition Failed');
  const headers: Header[] = [
    ['content-type', fileContentType(path)],
    ['accept-ranges', 'bytes'],
    ...validators,
  ];
  // RFC 9110 section 14.2: Range is only for GET; If-Range decides whether it is honoured.
  const range =
    scope.method === 'GET' && request.range !== undefined && ifRangeMatches(request.ifRange, current)
      ? parseRange(request.range, size)
      : ({ type: 'none' } as const);
  if (range.type === 'unsatisfiable') {
    return sendPlainText(send, scope.method, 416, 'Range Not Satisfiable', [
      ['content-range', unsatisfiedRange(size)],
    ]);
  }
  // Several ranges: answered with the whole representation (RFC 9110 section 14.2 allows ignoring).
  const part = range.type === 'ranges' && range.ranges.length === 1 ? range.ranges[0] : undefined;
  if (part !== undefined) {
    const length = part.end - part.start + 1;
    headers.push(['content-range', contentRange(part, size)], ['content-length', String(length)]);
    await send({ type: 'http.response.start', status: 206, headers });
    return streamFileRange(send, handle, part.start, part.end, o.chunkSize);
  }
  headers.push(['content-length', String(size)]);
  await send({ type: 'http.response.start', status: 200, headers });
  if (scope.method === 'HEAD') return send({ type: 'http.response.body', body: new Uint8Array(0) });
  if (o.pathsend && scope.extensions?.['http.response.pathsend'] !== undefined) {
    return send({ type: 'http.response.pathsend', path });
  }
  return streamFileRange(send, handle, 0, size - 1, o.chunkSize);
}

/**
 * Serves the files under `options.root` for GET and HEAD, and hands everything else to the wrapped
 * app (Plack::Middleware::Static, Starlette's `StaticFiles`, express `serve-static`).
 *
 * The decoded `scope.path` (after any mount) names the file. A path with a `.` or `..` segment, a
 * NUL byte or a backslash, or one that resolves (symbolic links followed, `realpath`) outside the
 * root, is a miss like an absent file: it falls through to the app (or gets 404), so a probe learns
 * nothing. A directory is served through the first `index` file it holds; asked for without the
 * trailing `/`, it gets `301 Moved Permanently` to the same path with `/` added (nginx, Starlette).
 *
 * Response headers: `content-type` (mime-types, by extension, `charset=utf-8` for text;
 * `application/octet-stream` when unknown), `content-length`, `etag` (weak, {@link fileETag}),
 * `last-modified` (IMF-fixdate), `accept-ranges: bytes`, `cache-control`. Preconditions are
 * evaluated as RFC 9110 section 13.2.2 orders them ({@link evaluatePreconditions}): 412 for a failed
 * `If-Match`/`If-Unmodified-Since`, 304 (validators and `cache-control`, no body) for a matching
 * `If-None-Match`/`If-Modified-Since`. A single satisfiable `Range` on GET gets 206 with
 * `content-range`; an unsatisfiable one 416 with `content-range: bytes *\/size`; a malformed one, one
 * whose `If-Range` does not match (strong comparison, so never the weak ETag; or the exact
 * Last-Modified date), and several ranges get the whole file (200).
 *
 * The body: a whole file on GET goes out as `http.response.pathsend` when the scope offers that
 * extension (and `pathsend` is on); otherwise it is read from the opened descriptor in chunks of
 * `chunkSize` bytes, one `send` awaited at a time, never the whole file in memory. Size and mtime
 * come from `fstat` of that descriptor. A client that leaves ends the loop; the descriptor is
 * always closed.
 *
 * @param options - see {@link StaticFilesOptions}
 * @returns a middleware, app in (either interface), async app out. To use it as a plain app, wrap
 *   a 404 app: `mount('/static', staticFiles({ root: 'public' })(notFoundApp), app)`.
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option (root missing or not a directory,
 *   ...), when called
 */
export function staticFiles(options: StaticFilesOptions): (app: App) => AsyncApp {
  const o = resolveOptions(options);
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to staticFiles()');
    return asyncApp(async function staticFilesApp(scope, receive, send) {
      if (scope.type !== 'http') return inner(scope, receive, send);
      if (scope.method !== 'GET' && scope.method !== 'HEAD') {
        if (o.fallthrough) return inner(scope, receive, send);
        return sendPlainText(send, scope.method, 405, 'Method Not Allowed', [['allow', 'GET, HEAD']]);
      }
      const found = await lookupFile(o.root, scope.path, o.index, o.dotfiles);
      switch (found.kind) {
        case 'file':
          try {
            return await sendFile(scope, send, found, o);
          } finally {
            await found.handle.close().catch(() => {});
          }
        case 'forbidden':
          return sendPlainText(send, scope.method, 403, 'Forbidden');
        case 'redirect': {
          // From the raw path as sent (root path included); leading slashes collapsed so that
          // `//evil.example` cannot become a scheme-relative Location.
          const location = `/${scope.rawPath.replace(/^\/+/, '')}/${scope.queryString === '' ? '' : `?${scope.queryString}`}`;
          return sendPlainText(send, scope.method, 301, 'Moved Permanently', [['location', location]]);
        }
        case 'miss':
          if (o.fallthrough) return inner(scope, receive, send);
          return sendPlainText(send, scope.method, 404, 'Not Found');
      }
    });
  };
}
