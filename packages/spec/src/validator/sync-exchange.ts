/**
 * What the sync validator knows about one request while it runs: calls of `startResponse`, whether
 * the headers have gone out, the bytes produced against the declared Content-Length, and whether the
 * app is inside its call. Shared by the `startResponse`, `write()` and body checks.
 *
 * @module
 */
import type { Report } from './violation.js';

/** Status codes whose response has no body to count (RFC 9110 sections 15.3.5 and 15.4.5). */
const NO_BODY = new Set([204, 304]);

/** One request/response exchange seen by the sync validator. */
export class SyncExchange {
  /** Reports a violation; remembers the first one the handler threw (see {@link rethrowSwallowed}). */
  readonly report: Report;
  /** Calls of `startResponse` so far, including calls the server refused. */
  startCalls = 0;
  /** Whether a non-empty chunk has been produced: the server has sent (or committed) the headers. */
  headersSent = false;
  /** Whether the app call itself is running (write() is allowed only then: SYNC-WRITE-2). */
  inAppCall = false;
  /** Set when the server threw from a call with excInfo; the app must let that propagate (SYNC-START-5). */
  rethrown = false;
  /** Body bytes produced so far (yielded and written). */
  bytes = 0;
  private contentLength: number | undefined;
  private countLength = false;
  private lengthReported = false;
  private thrown: { error: unknown } | null = null;
  private readonly head: boolean;

  constructor(outer: Report, method: unknown) {
    this.head = method === 'HEAD';
    this.report = (...args: Parameters<Report>) => {
      try {
        outer(...args);
      } catch (error) {
        this.thrown ??= { error };
        throw error;
      }
    };
  }

  /** Records the head of a successful `startResponse` call: the Content-Length to hold the body to. */
  started(code: number, contentLength: number | undefined): void {
    this.contentLength = contentLength;
    this.countLength = contentLength !== undefined && !this.head && !NO_BODY.has(code);
  }

  /** Records a chunk the app produced (yielded or written); checks it against Content-Length (SYNC-BODY-3). */
  produced(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.headersSent = true;
    this.bytes += chunk.byteLength;
    if (this.countLength && !this.lengthReported && this.bytes > (this.contentLength as number)) {
      this.lengthReported = true;
      this.report('SYNC-BODY-3', 'app', 'the body is longer than its Content-Length', {
        contentLength: this.contentLength,
        bytes: this.bytes,
      });
    }
  }

  /** Checks the body's end: startResponse was called (SYNC-START-4), the length matched (SYNC-BODY-3). */
  ended(): void {
    if (this.startCalls === 0) {
      this.report('SYNC-START-4', 'app', 'the body ended and startResponse was never called');
    }
    if (this.countLength && !this.lengthReported && this.bytes < (this.contentLength as number)) {
      this.lengthReported = true;
      this.report('SYNC-BODY-3', 'app', 'the body is shorter than its Content-Length', {
        contentLength: this.contentLength,
        bytes: this.bytes,
      });
    }
  }

  /** Forgets violations thrown so far; called before control passes to the app (its call, a next()). */
  enterApp(): void {
    this.thrown = null;
  }

  /**
   * Throws the first violation the handler threw since {@link enterApp} when the app caught it and
   * carried on as if nothing happened: an app cannot hide a violation by catching errors around
   * `startResponse`, `write()` or the streams.
   */
  rethrowSwallowed(): void {
    const thrown = this.thrown;
    if (thrown !== null) {
      this.thrown = null;
      throw thrown.error;
    }
  }
}
