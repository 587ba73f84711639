/**
 * The hello app in the async interface (spec/async.md): answers every request with
 * "Hello, world!\n". Run it with `pnpm exec portico serve examples/hello/async.ts`.
 *
 * `portico serve` sees an `async function` and serves it as an async app (spec/async.md, "Telling
 * the interfaces apart").
 */
import type { HeaderList, Receive, Scope, Send } from '@portico/spec';

// Built once, not per request: the body bytes and the headers that describe them.
const BODY = new TextEncoder().encode('Hello, world!\n');
const HEADERS: HeaderList = [
  ['content-type', 'text/plain; charset=utf-8'],
  ['content-length', String(BODY.byteLength)],
];

export default async function hello(scope: Scope, receive: Receive, send: Send): Promise<void> {
  if (scope.type === 'lifespan') {
    // Nothing to open or close: acknowledge startup, then shutdown.
    for (;;) {
      const event = await receive();
      if (event.type === 'lifespan.startup') await send({ type: 'lifespan.startup.complete' });
      if (event.type === 'lifespan.shutdown') return send({ type: 'lifespan.shutdown.complete' });
    }
  }
  // Refuse scope types this app does not speak (websocket), as spec/async.md asks.
  if (scope.type !== 'http') throw new Error(`hello: unsupported scope type ${scope.type}`);
  await send({ type: 'http.response.start', status: 200, headers: HEADERS });
  await send({ type: 'http.response.body', body: BODY });
}
