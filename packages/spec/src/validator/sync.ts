/**
 * The sync-interface validator (the wsgiref.validate analogue for spec/sync.md): wraps an app, checks
 * the environ before the app runs (server side), then wraps `startResponse`, the `write()` callable it
 * returns, `portico.input`, `portico.errors`, `portico.file_wrapper` and the body iterable to check
 * both directions. The wrapped app gets a shallow copy of the environ with the checked streams in it;
 * the server's environ is never changed.
 *
 * @module
 */
import { syncApp } from '../interface.js';
import type {
  Environ,
  FileWrapper,
  InputStream,
  ResponseBody,
  StartResponse,
  SyncApp,
  WriteCallable,
} from '../sync-types.js';
import { checkBody } from './sync-body.js';
import { checkEnviron } from './sync-environ.js';
import { SyncExchange } from './sync-exchange.js';
import { checkHead } from './sync-head.js';
import { checkErrors, checkFileWrapper, checkInput } from './sync-streams.js';
import type { Report } from './violation.js';

/** Whether an excInfo argument counts as given: `undefined` and `null` mean "none" (spec/sync.md). */
function given(excInfo: unknown): boolean {
  return excInfo !== undefined && excInfo !== null;
}

/** Checks the `write()` callable: one Uint8Array (SYNC-WRITE-1), only during the app call (SYNC-WRITE-2). */
function checkWrite(write: WriteCallable, ex: SyncExchange): WriteCallable {
  return function writeChecked(chunk: Uint8Array, ...extra: unknown[]): void {
    if (!(chunk instanceof Uint8Array) || extra.length > 0) {
      ex.report(
        'SYNC-WRITE-1',
        'app',
        typeof chunk === 'string'
          ? 'write() got a string; it takes one Uint8Array (encode the text)'
          : 'write() takes one Uint8Array',
        chunk,
      );
    }
    if (!ex.inAppCall) {
      ex.report('SYNC-WRITE-2', 'app', 'write() was called after the app returned (from the body or later)');
    }
    if (chunk instanceof Uint8Array) ex.produced(chunk);
    write(chunk);
  };
}

/** Wraps the server's `startResponse` with the checks of spec/sync.md "startResponse". */
function checkStartResponse(startResponse: StartResponse, ex: SyncExchange): StartResponse {
  return function startResponseChecked(status: string, headers: unknown, ...rest: unknown[]): WriteCallable {
    const report = ex.report;
    if (rest.length > 1 || headers === undefined) {
      report('SYNC-START-1', 'app', 'startResponse takes (status, headers, excInfo?)', [
        status,
        headers,
        ...rest,
      ]);
    }
    const excInfo = rest[0];
    const withExc = given(excInfo);
    if (ex.startCalls > 0 && !withExc) {
      report('SYNC-START-2', 'app', 'startResponse was called again without excInfo');
    }
    const head = checkHead(status, headers, report);
    ex.startCalls++;
    const sentBefore = ex.headersSent;
    let write: unknown;
    try {
      write =
        rest.length > 0
          ? startResponse(status, headers as [string, string][], excInfo)
          : startResponse(status, headers as [string, string][]);
    } catch (error) {
      if (withExc && sentBefore) {
        ex.rethrown = true;
        if (error !== excInfo) {
          report(
            'SYNC-START-8',
            'server',
            'startResponse threw something other than excInfo after headers went out',
            error,
          );
        }
      } else if (withExc && head.valid) {
        report(
          'SYNC-START-7',
          'server',
          'startResponse refused new headers with excInfo before any body was sent',
          error,
        );
      }
      throw error;
    }
    if (withExc && sentBefore) {
      report(
        'SYNC-START-8',
        'server',
        'startResponse returned after the headers went out; it must throw excInfo',
        excInfo,
      );
    }
    if (typeof write !== 'function') {
      report('SYNC-START-6', 'server', 'startResponse did not return a write() callable', write);
      return write as WriteCallable;
    }
    ex.started(head.code, head.contentLength);
    return checkWrite(write as WriteCallable, ex);
  } as StartResponse;
}

/** The environ the app gets: a shallow copy with the checked streams in place of the server's. */
function checkedEnviron(environ: Record<string, unknown>, report: Report): Environ {
  const copy: Record<string, unknown> = { ...environ };
  const input = environ['portico.input'];
  if (typeof input === 'object' && input !== null) {
    copy['portico.input'] = checkInput(input as InputStream, environ.CONTENT_LENGTH, report);
  }
  const errors = environ['portico.errors'];
  if (typeof errors === 'object' && errors !== null) {
    copy['portico.errors'] = checkErrors(errors as Environ['portico.errors'], report);
  }
  const fileWrapper = environ['portico.file_wrapper'];
  if (typeof fileWrapper === 'function') {
    copy['portico.file_wrapper'] = checkFileWrapper(fileWrapper as FileWrapper, report);
  }
  return copy as Environ;
}

/**
 * Wraps `app` with the checks of spec/sync.md, reporting each broken rule through `report` with its
 * id, the side that broke it and the offending value. With a `report` that throws (the default of
 * `validateSync`), a server-side violation in the environ throws before the app runs, an app-side
 * violation throws from the call the app made (`startResponse`, `write()`, a stream method) or from
 * the body's `next()`, and a server-side violation in iteration throws from the call the server made.
 *
 * A violation the app catches is thrown again when the app returns or its `next()` returns. A body
 * not closed in the run in which iteration stopped (SYNC-BODY-6) is reported from a microtask; with a
 * throwing `report` that surfaces as an uncaught exception.
 *
 * @param app - the sync app to check
 * @param report - receives each violation (see `reporter` in violation.ts)
 * @returns a sync app (marked with `syncApp`) that behaves like `app` when every rule holds
 */
export function checkSyncApp(app: SyncApp, report: Report): SyncApp {
  return syncApp(function checkedSyncApp(
    environ: Environ,
    startResponse: StartResponse,
    ...extra: unknown[]
  ): ResponseBody {
    if (extra.length > 0 || typeof startResponse !== 'function') {
      report('SYNC-APP-1', 'server', 'the app was not called as app(environ, startResponse)', [
        typeof environ,
        typeof startResponse,
        ...extra,
      ]);
    }
    const readable = checkEnviron(environ, report);
    const env = readable ? (environ as unknown as Record<string, unknown>) : {};
    const ex = new SyncExchange(report, env.REQUEST_METHOD);
    const inner = checkedEnviron(env, ex.report);
    const start = checkStartResponse(startResponse, ex);
    let result: ResponseBody;
    ex.inAppCall = true;
    ex.enterApp();
    try {
      result = app(inner, start);
    } finally {
      ex.inAppCall = false;
    }
    try {
      ex.rethrowSwallowed();
      if (ex.rethrown) {
        ex.rethrown = false;
        report(
          'SYNC-START-5',
          'app',
          'the app caught the error startResponse threw for excInfo and returned a body',
        );
      }
    } catch (error) {
      // The server never sees this body: release it here.
      const close = (result as { close?: unknown } | null)?.close;
      if (typeof close === 'function') close.call(result);
      throw error;
    }
    return checkBody(result, ex);
  });
}
