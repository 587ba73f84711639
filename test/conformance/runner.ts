/**
 * What an adapter provides to run the shared conformance suite: start an app, say where to reach
 * it over HTTP, stop it. One small runner per adapter (`http.test.ts`; fastcgi, scgi and cgi
 * runners put a front end such as nginx between the client and the adapter).
 */
import type { AsyncApp } from '@portico/spec';

/** A running server under test. */
export interface ConformanceServer {
  /** Where HTTP clients reach it: `http://127.0.0.1:PORT` (no trailing slash). */
  readonly baseUrl: string;
  /** Stops it (gracefully; resolves once closed). */
  close(): Promise<void>;
}

/** Options every runner must honour. */
export interface StartOptions {
  /** The root path the adapter is configured with (`rootPath`, SCRIPT_NAME). */
  readonly rootPath: string;
}

/**
 * Where a front end between the client and the adapter (nginx, HAProxy, Caddy in front of a
 * FastCGI adapter) cannot give what a case asks for, what it does instead and why. The suite then
 * asserts that behaviour, so the case still tests something true and fails when it changes.
 */
export interface FrontEndBehaviour {
  /**
   * The front end refuses a chunked upload (no Content-Length) with this status whatever the
   * backend (HAProxy's FastCGI client sends only bodies of known size: 400).
   */
  readonly chunkedUpload?: { readonly refusedWith: number; readonly reason: string };
  /**
   * Two `X-Repeat` request header fields (`one`, then `two`) reach the app as these pairs: a front
   * end that joins repeated fields into one `HTTP_*` variable (nginx 1.23+, Apache, lighttpd, Caddy)
   * delivers one pair; one that sends a param per field (nginx before 1.23, HAProxy) two, as the
   * HTTP adapter does (spec/servers.md SRV-FCGI-8).
   */
  readonly repeatedHeaders?: {
    readonly delivered: readonly (readonly [string, string])[];
    readonly reason: string;
  };
  /**
   * The front end turns both `X-Under_Score` (`spoof`) and `X-Under-Score` (`real`) into
   * `HTTP_X_UNDER_SCORE` params (Caddy before 2.11.4, lighttpd 1.4): the adapter cannot tell them
   * apart, so SRV-ENV-2 is the front end's to keep; the environ's `HTTP_X_UNDER_SCORE` is then one of
   * `values` (the two joined, in the front end's order).
   */
  readonly underscoreHeaders?: { readonly values: readonly string[]; readonly reason: string };
}

/** An adapter, seen by the suite. */
export interface ConformanceRunner {
  /** Shown in test names. */
  readonly name: string;
  /** What the front end in front of the adapter changes; absent: nothing (the HTTP adapter). */
  readonly frontEnd?: FrontEndBehaviour;
  /** Serves `app` (already wrapped in the validator by the suite) and resolves once it listens. */
  start(app: AsyncApp, options: StartOptions): Promise<ConformanceServer>;
}
