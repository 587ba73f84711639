/** Apps and a recorder shared by the http middleware tests. */
import {
  type AsyncApp,
  asyncApp,
  type Header,
  type SendEvent,
  syncApp,
  syncToAsync,
  validateAsync,
} from '@portico/spec';

/** What a test app answers. */
export interface Reply {
  status?: number;
  headers?: Header[];
  chunks?: Uint8Array[];
}

const REASONS: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  206: 'Partial Content',
  304: 'Not Modified',
};

/** The same reply from an async app and a sync app, each under the validator, with the request method seen. */
export function replyApps(reply: Reply): { label: string; app: AsyncApp; seen: string[] }[] {
  const status = reply.status ?? 200;
  const headers = reply.headers ?? [];
  const chunks = reply.chunks ?? [];
  const seenAsync: string[] = [];
  const seenSync: string[] = [];
  const a = validateAsync(
    asyncApp(async function replyAsyncApp(scope, receive, send) {
      if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
      seenAsync.push(scope.method);
      await receive();
      await send({ type: 'http.response.start', status, headers });
      if (chunks.length === 0) return send({ type: 'http.response.body' });
      for (const [i, body] of chunks.entries()) {
        await send({ type: 'http.response.body', body, moreBody: i < chunks.length - 1 });
      }
    }),
  );
  // The sync app is bridged here and validated on the async side: validateSync would hand the
  // bridge an iterator instead of the list, which it then sends as a stream (chunk, empty end)
  // rather than whole, hiding the one-event case contentLength() and compression() look for.
  const s = validateAsync(
    syncToAsync(
      syncApp(function replySyncApp(environ, startResponse) {
        seenSync.push(environ.REQUEST_METHOD);
        startResponse(
          `${status} ${REASONS[status] ?? 'X'}`,
          headers.map(([n, v]) => [n, v] as [string, string]),
        );
        return chunks;
      }),
    ),
  );
  return [
    { label: 'async', app: a, seen: seenAsync },
    { label: 'sync', app: s, seen: seenSync },
  ];
}

/** An outer layer recording every event the wrapped app sends. */
export function recorded(app: AsyncApp): { app: AsyncApp; events: SendEvent[] } {
  const events: SendEvent[] = [];
  return {
    events,
    app: asyncApp(async function recordApp(scope, receive, send) {
      return app(scope, receive, (event) => {
        events.push(event);
        return send(event);
      });
    }),
  };
}

const enc = new TextEncoder();
/** UTF-8 bytes of `s`. */
export const bytes = (s: string): Uint8Array => enc.encode(s);

/** A compressible text body of about `n` bytes. */
export function text(n: number): Uint8Array {
  let s = '';
  for (let i = 0; s.length < n; i++) s += `line ${i}: the quick brown fox jumps over the lazy dog\n`;
  return enc.encode(s.slice(0, n));
}
