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

/** An adapter, seen by the suite. */
export interface ConformanceRunner {
  /** Shown in test names. */
  readonly name: string;
  /** Serves `app` (already wrapped in the validator by the suite) and resolves once it listens. */
  start(app: AsyncApp, options: StartOptions): Promise<ConformanceServer>;
}
