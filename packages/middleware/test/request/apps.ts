/** Leaf apps for the request-side middleware tests: each reports what it saw, in the same shape. */
import { type AsyncApp, asyncApp, type SyncApp, syncApp, validateAsync, validateSync } from '@portico/spec';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** What a leaf saw, the same for both interfaces. */
export interface Seen {
  method: string;
  scheme: string;
  remoteAddr: string | null;
  remotePort: string | null;
  serverName: string;
  serverPort: string;
  host: string | null;
  originalMethod: string | null;
  body: string;
}

/** An async app answering 200 with {@link Seen} as JSON (it reads the whole body first). */
export const seeAsync: AsyncApp = asyncApp(async function seeAsyncApp(scope, receive, send) {
  if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
  let body = '';
  for (;;) {
    const e = await receive();
    if (e.type !== 'http.request') break;
    body += dec.decode(e.body, { stream: true });
    if (!e.moreBody) break;
  }
  const server = scope.server;
  const host = scope.headers.find(([n]) => n === 'host');
  const seen: Seen = {
    method: scope.method,
    scheme: scope.scheme,
    remoteAddr: scope.client?.[0] ?? null,
    remotePort: scope.client === null ? null : String(scope.client[1]),
    serverName: server === null ? '' : server[0].includes(':') ? `[${server[0]}]` : server[0],
    serverPort: server === null || server[1] === null ? '' : String(server[1]),
    host: host?.[1] ?? null,
    originalMethod: (scope.state.originalMethod as string | undefined) ?? null,
    body,
  };
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
  await send({ type: 'http.response.body', body: enc.encode(JSON.stringify(seen)) });
});

/** The same in the sync interface, from the environ the bridge builds. */
export const seeSync: SyncApp = syncApp(function seeSyncApp(environ, startResponse) {
  const body = dec.decode(environ['portico.input'].read());
  const state = environ['portico.state'] as Record<string, unknown>;
  const seen: Seen = {
    method: environ.REQUEST_METHOD,
    scheme: environ['portico.url_scheme'],
    remoteAddr: (environ.REMOTE_ADDR as string | undefined) ?? null,
    remotePort: (environ.REMOTE_PORT as string | undefined) ?? null,
    serverName: environ.SERVER_NAME,
    serverPort: environ.SERVER_PORT,
    host: (environ.HTTP_HOST as string | undefined) ?? null,
    originalMethod: (state.originalMethod as string | undefined) ?? null,
    body,
  };
  startResponse('200 OK', [['Content-Type', 'application/json']]);
  return [enc.encode(JSON.stringify(seen))];
});

/** Both leaves, each under its validator, for `describe.each`-style loops. */
export const LEAVES = [
  ['async', validateAsync(seeAsync)],
  ['sync', validateSync(seeSync)],
] as const;

/** An async websocket app that accepts and sends back its scheme and client as text, then closes. */
export const wsEcho: AsyncApp = asyncApp(async function wsEchoApp(scope, receive, send) {
  if (scope.type !== 'websocket') throw new Error(`unsupported scope type ${scope.type}`);
  await receive();
  await send({ type: 'websocket.accept' });
  await send({
    type: 'websocket.send',
    text: JSON.stringify({ scheme: scope.scheme, client: scope.client }),
  });
  await send({ type: 'websocket.close', code: 1000 });
});
