/** Apps and middleware shared by the composition tests. */
import {
  type AsyncApp,
  asyncApp,
  type Environ,
  type HTTPScope,
  type Send,
  type SyncApp,
  syncApp,
  syncToAsync,
} from '@portico/spec';

const enc = new TextEncoder();

/** An async app answering JSON with what it saw of its place: rootPath, path, rawPath. */
export const whereAsync: AsyncApp = asyncApp(async function whereAsyncApp(scope, receive, send) {
  if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
  await receive();
  const trace = (scope.state.trace as string[] | undefined) ?? [];
  const body = enc.encode(
    JSON.stringify({ rootPath: scope.rootPath, path: scope.path, rawPath: scope.rawPath, trace }),
  );
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
  await send({ type: 'http.response.body', body });
});

/** The same in the sync interface: SCRIPT_NAME, PATH_INFO, REQUEST_URI. */
export const whereSync: SyncApp = syncApp(function whereSyncApp(environ: Environ, startResponse) {
  const state = environ['portico.state'] as Record<string, unknown>;
  const trace = (state.trace as string[] | undefined) ?? [];
  startResponse('200 OK', [['Content-Type', 'application/json']]);
  return [
    enc.encode(
      JSON.stringify({
        SCRIPT_NAME: environ.SCRIPT_NAME,
        PATH_INFO: environ.PATH_INFO,
        REQUEST_URI: environ.REQUEST_URI,
        trace,
      }),
    ),
  ];
});

/** An async app echoing the request body it reads through `receive`. */
export const echoAsync: AsyncApp = asyncApp(async function echoAsyncApp(scope, receive, send) {
  if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
  const chunks: number[] = [];
  let events = 0;
  for (;;) {
    const e = await receive();
    if (e.type !== 'http.request') throw new Error(`unexpected ${e.type}`);
    events++;
    chunks.push(...e.body);
    if (!e.moreBody) break;
  }
  await send({ type: 'http.response.start', status: 200, headers: [['x-events', String(events)]] });
  await send({ type: 'http.response.body', body: Uint8Array.from(chunks) });
});

/** The same in the sync interface, reading `portico.input`. */
export const echoSync: SyncApp = syncApp(function echoSyncApp(environ, startResponse) {
  const body = environ['portico.input'].read();
  startResponse('200 OK', []);
  return [body];
});

/**
 * An async middleware (for the tests of order): records `name` in `state.trace` on the way in and
 * appends `x-layer: name` to the response headers on the way out.
 */
export function tag(name: string): (app: AsyncApp) => AsyncApp {
  return (app) =>
    async function tagApp(scope, receive, send) {
      if (scope.type !== 'http') return app(scope, receive, send);
      const state = (scope as HTTPScope).state;
      state.trace = [...((state.trace as string[] | undefined) ?? []), name];
      const wrapped: Send = (event) =>
        event.type === 'http.response.start'
          ? send({ ...event, headers: [...(event.headers ?? []), ['x-layer', name]] })
          : send(event);
      return app(scope, receive, wrapped);
    };
}

/** The sync twin of {@link tag}, for composing sync middleware around a sync app. */
export function tagSync(name: string): (app: SyncApp) => SyncApp {
  return (app) =>
    syncApp(function tagSyncApp(environ, startResponse) {
      const state = environ['portico.state'] as Record<string, unknown>;
      state.trace = [...((state.trace as string[] | undefined) ?? []), name];
      return app(environ, (status, headers, excInfo) =>
        startResponse(status, [...headers, ['X-Layer', name]], excInfo),
      );
    });
}

/** Both leaf apps, for `describe.each`: the sync one is reached through `syncToAsync` where needed. */
export const leaves = [
  { kind: 'async', where: whereAsync, echo: echoAsync, asAsync: (a: AsyncApp | SyncApp) => a as AsyncApp },
  {
    kind: 'sync',
    where: whereSync,
    echo: echoSync,
    asAsync: (a: AsyncApp | SyncApp) => syncToAsync(a as SyncApp),
  },
] as const;
