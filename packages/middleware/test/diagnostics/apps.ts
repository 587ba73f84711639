/** Apps that fail in the ways the diagnostics tests need, in both interfaces. */
import type { Logger } from '@portico/server';
import { type AsyncApp, asyncApp, PorticoError, type SyncApp, syncApp } from '@portico/spec';

const enc = new TextEncoder();

export const SECRET = 'secret <script>alert(1)</script> password=hunter2';

/** The error each failing path throws. */
export function errorFor(path: string): Error | undefined {
  switch (path) {
    case '/plain':
      return new Error(SECRET);
    case '/exposed':
      return new PorticoError('ERR_UNAUTHORIZED', 'log in <first>', { status: 401, expose: true });
    case '/hidden-porticoerror':
      return new PorticoError('ERR_SESSION_STORE', SECRET, { status: 500 });
    case '/too-large':
      return new PorticoError('ERR_BODY_TOO_LARGE', 'request body is larger than 10 bytes', {
        status: 413,
        expose: true,
      });
    case '/caused':
      return new Error('outer failure', { cause: new TypeError('inner <cause>') });
    default:
      return undefined;
  }
}

/** Async: `/after-start` fails after sending the head and a first chunk; `/ok` answers `ok`. */
export const failingAsync: AsyncApp = asyncApp(async function failingAsyncApp(scope, receive, send) {
  if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
  await receive();
  const err = errorFor(scope.path);
  if (err !== undefined) throw err;
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
  if (scope.path === '/after-start') {
    await send({ type: 'http.response.body', body: enc.encode('part'), moreBody: true });
    throw new Error('failed mid-body');
  }
  await send({ type: 'http.response.body', body: enc.encode('ok') });
});

/** The same in the sync interface (the mid-body failure thrown by the body iterator). */
export const failingSync: SyncApp = syncApp(function failingSyncApp(environ, startResponse) {
  const err = errorFor(environ.PATH_INFO);
  if (err !== undefined) throw err;
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  if (environ.PATH_INFO === '/after-start') {
    return (function* midBody() {
      yield enc.encode('part');
      throw new Error('failed mid-body');
    })();
  }
  return [enc.encode('ok')];
});

/** A logger that records every call. */
export function recordingLogger(): Logger & {
  calls: { level: string; message: string; fields: Record<string, unknown> | undefined }[];
} {
  const calls: { level: string; message: string; fields: Record<string, unknown> | undefined }[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      calls.push({ level, message, fields });
    };
  return { calls, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
