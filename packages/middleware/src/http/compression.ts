/**
 * The `compression()` middleware: gzip, deflate or brotli response bodies, negotiated with
 * `Accept-Encoding` (RFC 9110 section 12.5.3), streamed chunk by chunk with node:zlib.
 *
 * @module
 */

import {
  type App,
  type AsyncApp,
  asyncApp,
  type HTTPResponseStartEvent,
  PorticoError,
  type Send,
} from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import {
  hasNoContent,
  headerValue,
  listMembers,
  mediaType,
  withHeader,
  withoutHeaders,
  withVary,
} from '../shared/headers.js';
import { clientGone, watchDisconnect } from '../shared/hold-start.js';
import { negotiateEncoding } from './accept-encoding.js';
import { type Coding, Compressor } from './compressor.js';

/** Options of {@link compression}. */
export interface CompressionOptions {
  /** Codings to offer, in the server's order of preference. Default `['br', 'gzip', 'deflate']`. */
  encodings?: readonly Coding[];
  /** Bodies sent whole (one body event) smaller than this many bytes are not compressed. Default 1024. */
  threshold?: number;
  /** zlib level for gzip and deflate: -1 (zlib's default, which is 6) or 0..9. Default -1. */
  gzipLevel?: number;
  /**
   * Brotli quality, 0..11. Default 4: brotli's own default, 11, is made for compressing once
   * ahead of time and is two orders of magnitude slower; quality 4 compresses about as fast as gzip
   * level 6 and still a little smaller, which is what compressing every response on the fly needs.
   */
  brotliQuality?: number;
  /**
   * Whether to compress a response of this `Content-Type` value (as sent; `''` when absent).
   * Default {@link isCompressible}.
   */
  filter?: (contentType: string) => boolean;
}

const CODINGS: readonly Coding[] = ['br', 'gzip', 'deflate'];
const EMPTY = new Uint8Array(0);

/**
 * Whether a media type is worth compressing: `text/*`, JSON (`application/json`, `+json`),
 * JavaScript, XML (`+xml`, so SVG too), `application/wasm`. Images, audio, video, archives,
 * `application/octet-stream` and a missing type are not: they are compressed already, or unknown.
 *
 * @param contentType - a `Content-Type` value; parameters are ignored
 */
export function isCompressible(contentType: string): boolean {
  const type = mediaType(contentType);
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type.endsWith('/javascript') ||
    type === 'application/x-javascript' ||
    type === 'application/ecmascript' ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/wasm'
  );
}

interface Settings {
  encodings: readonly Coding[];
  threshold: number;
  gzipLevel: number;
  brotliQuality: number;
  filter: (contentType: string) => boolean;
}

function invalid(name: string, value: unknown, want: string): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', `option ${name} of compression() must be ${want}`, { value });
}

function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function checkOptions(options: CompressionOptions): Settings {
  const { encodings = CODINGS, threshold = 1024, gzipLevel = -1, brotliQuality = 4 } = options;
  if (
    !Array.isArray(encodings) ||
    encodings.length === 0 ||
    encodings.some((e) => !CODINGS.includes(e)) ||
    new Set(encodings).size !== encodings.length
  ) {
    throw invalid('encodings', encodings, 'a non-empty list of distinct codings among br, gzip, deflate');
  }
  if (!isIntIn(threshold, 0, Number.MAX_SAFE_INTEGER)) {
    throw invalid('threshold', threshold, 'an integer number of bytes >= 0');
  }
  if (!isIntIn(gzipLevel, -1, 9)) throw invalid('gzipLevel', gzipLevel, 'an integer from -1 to 9');
  if (!isIntIn(brotliQuality, 0, 11))
    throw invalid('brotliQuality', brotliQuality, 'an integer from 0 to 11');
  const filter = options.filter ?? isCompressible;
  if (typeof filter !== 'function') throw invalid('filter', filter, 'a function');
  return { encodings, threshold, gzipLevel, brotliQuality, filter };
}

/**
 * Whether the response is of a kind this middleware compresses at all, whatever the request said:
 * not 1xx/204/304 (no content), not already encoded, not `Cache-Control: no-transform` (RFC 9111
 * section 5.2.2.6), not a range (206 or `Content-Range`: its bytes are of the unencoded
 * representation), and a type `filter` accepts.
 */
function isCandidate(start: HTTPResponseStartEvent, filter: (contentType: string) => boolean): boolean {
  const h = start.headers;
  if (hasNoContent(start.status) || start.status === 206) return false;
  const encoding = headerValue(h, 'content-encoding');
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return false;
  if (headerValue(h, 'content-range') !== undefined) return false;
  const cacheControl = listMembers(headerValue(h, 'cache-control')?.toLowerCase());
  if (cacheControl.includes('no-transform')) return false;
  return filter(headerValue(h, 'content-type') ?? '');
}

/** `W/"x"` for a strong `"x"`: the compressed bytes differ, so a strong validator would lie. */
function weakened(etag: string): string {
  const t = etag.trim();
  return t.startsWith('W/') ? t : `W/${t}`;
}

/**
 * Compresses response bodies with the coding the client prefers among `encodings`.
 *
 * For each `http` request the middleware reads `Accept-Encoding` ({@link negotiateEncoding}). When
 * the app sends `http.response.start` of a response that could be compressed, it adds
 * `Vary: Accept-Encoding` (merged into an existing `Vary`) and holds the start until the first body
 * event, so that it can leave alone a body sent whole (`moreBody: false`) that is under
 * `threshold` bytes, or declared so by `Content-Length`. It does not compress `HEAD` responses (the
 * `Vary` is still added), nor when the client accepts no offered coding.
 *
 * When it compresses, the start it sends has `Content-Encoding`, no `Content-Length` (the server
 * sends chunked), and a strong `ETag` made weak. Each body chunk goes through the zlib stream and
 * is flushed (`Z_SYNC_FLUSH`, `BROTLI_OPERATION_FLUSH`), and the output is sent with the app's
 * `send()` awaited: a streaming response (server-sent events, progress) reaches the client chunk by
 * chunk, nothing is buffered, and the client's pace holds the app back (backpressure). An empty chunk
 * is sent on as an empty body event. Trailers, early hints, a path send (sent uncompressed) and
 * events this middleware does not know pass through. When the client leaves or the app fails, the
 * zlib stream is destroyed. A start still held when the app returns (no body event followed) is
 * sent as it was, so the server judges what the app sent. Once `receive()` gave the app
 * `http.disconnect`, a start that would be held rejects with `ERR_CLIENT_DISCONNECTED` (ASYNC-HTTP-9)
 * and a held start is dropped.
 *
 * Other scope types pass through untouched (MW-PASS-1). A sync app is reached through
 * `syncToAsync`.
 *
 * @param options - see {@link CompressionOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option, when called (not per request)
 */
export function compression(options: CompressionOptions = {}): (app: App) => AsyncApp {
  const settings = checkOptions(options);
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to compression()');
    return asyncApp(async function compressionApp(scope, receive, send) {
      if (scope.type !== 'http') return inner(scope, receive, send);
      const coding = negotiateEncoding(headerValue(scope.headers, 'accept-encoding'), settings.encodings);
      const isHead = scope.method === 'HEAD';
      let held: HTTPResponseStartEvent | undefined;
      let compressor: Compressor | undefined;
      const watch = watchDisconnect(receive);

      const compressionSend: Send = async (event) => {
        if (event.type === 'http.response.start') {
          if (!isCandidate(event, settings.filter)) return send(event);
          const start = { ...event, headers: withVary(event.headers, ['Accept-Encoding']) };
          if (isHead || coding === 'identity') return send(start);
          const length = Number(headerValue(start.headers, 'content-length') ?? Number.NaN);
          if (length < settings.threshold) return send(start);
          // A start held after the app heard the client left would resolve: reject (ASYNC-HTTP-9).
          if (watch.gone) throw clientGone();
          held = start;
          return;
        }
        if (held !== undefined) {
          const start = held;
          held = undefined;
          const whole = event.type === 'http.response.body' && event.moreBody !== true;
          const small = whole && (event.body ?? EMPTY).length < settings.threshold;
          if (event.type !== 'http.response.body' || small) {
            await send(start);
            return send(event);
          }
          const length = Number(headerValue(start.headers, 'content-length') ?? Number.NaN);
          compressor = new Compressor(coding as Coding, {
            ...settings,
            sizeHint: Number.isSafeInteger(length) ? length : undefined,
          });
          let headers = withHeader(
            withoutHeaders(start.headers, 'content-length'),
            'content-encoding',
            coding,
          );
          const etag = headerValue(headers, 'etag');
          if (etag !== undefined) headers = withHeader(headers, 'etag', weakened(etag));
          await send({ ...start, headers });
        }
        if (compressor === undefined || event.type !== 'http.response.body') return send(event);
        const body = event.body ?? EMPTY;
        if (event.moreBody === true) {
          const out = body.length === 0 ? EMPTY : await compressor.write(body);
          return send({ type: 'http.response.body', body: out, moreBody: true });
        }
        const out = await compressor.end(body);
        compressor = undefined;
        return send({ type: 'http.response.body', body: out, moreBody: false });
      };

      try {
        await inner(scope, watch.receive, compressionSend);
        // An app that returned after its start without a body event: let the server see what it
        // sent (as contentLength() and etag() do), not a response that never started.
        if (held !== undefined) {
          const start = held;
          held = undefined;
          if (!watch.gone) await send(start);
        }
      } finally {
        compressor?.destroy();
      }
    });
  };
}
