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
  /**
   * Set when the app runs in other processes than the suite (a CGI program per request): the
   * directory through which the suite's probes talk to it (`probeHandle` in apps.ts).
   */
  readonly probeDir?: string;
  /**
   * The path the front end serves the app at when it cannot mount it at the `rootPath` asked for
   * (Python's http.server runs programs only under `/cgi-bin/`): the suite then sends every path
   * below this one and expects it as the app's `rootPath`.
   */
  readonly mount?: string;
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
   * backend (HAProxy's FastCGI client sends only bodies of known size: 400; Python's http.server runs
   * no program for a PUT: 501).
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
  readonly underscoreHeaders?: {
    /** `undefined` among them: the front end passed neither (Python's http.server). */
    readonly values: readonly (string | undefined)[];
    readonly reason: string;
  };
  /**
   * The front end mounts the app itself (a CGI program mounted at a path: SCRIPT_NAME is the
   * rootPath, which the adapter takes from it), so a path outside the mount never reaches the app:
   * the front end answers it with `status`.
   */
  readonly outsideMount?: { readonly status: number; readonly reason: string };
  /**
   * The front end sends no REQUEST_URI (Python's http.server): the adapter rebuilds `rawPath` from
   * SCRIPT_NAME and PATH_INFO, which the front end decoded (`%2F` too: it comes back as `/`).
   */
  readonly noRequestURI?: { readonly reason: string };
  /**
   * The front end does not parse the program's CGI response head (Python's http.server): every
   * response is a 200, and the program's `Status:` line reaches the client as a `status` header.
   */
  readonly unparsedStatus?: { readonly reason: string };
  /**
   * How the app ends when the client leaves mid-response, when it is not by a send that fails with
   * ERR_CLIENT_DISCONNECTED: `SIGTERM` when the front end ends a CGI program with SIGTERM as soon as
   * the client is gone (Apache, lighttpd), before the program's next write could fail.
   */
  readonly clientAbort?: { readonly outcome: string; readonly reason: string };
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
