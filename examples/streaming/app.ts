/**
 * A streaming response (spec/async.md): five lines, 200 ms apart, each sent as its own body chunk
 * (no content-length, so HTTP/1.1 uses chunked encoding). Stops early when the client goes away.
 * Run it with `pnpm exec portico serve examples/streaming/app.ts`, then `curl -N localhost:8000`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { HeaderList, Receive, Scope, Send } from '@portico/spec';

const CHUNKS = 5;
const INTERVAL_MS = 200;
const HEADERS: HeaderList = [
  ['content-type', 'text/plain; charset=utf-8'],
  ['cache-control', 'no-store'],
];
const encoder = new TextEncoder();

export default async function streaming(scope: Scope, receive: Receive, send: Send): Promise<void> {
  // This app has no lifespan work and no websocket support: refuse other scope types.
  if (scope.type !== 'http') throw new Error(`streaming: unsupported scope type ${scope.type}`);

  // Watch for the client leaving: receive() resolves with http.disconnect once it has gone.
  const left = new AbortController();
  void (async () => {
    for (;;) {
      const event = await receive();
      if (event.type === 'http.disconnect') return left.abort();
    }
  })();

  await send({ type: 'http.response.start', status: 200, headers: HEADERS });
  for (let i = 1; i <= CHUNKS; i++) {
    if (i > 1) {
      // Sleep between chunks, waking early when the client leaves.
      await sleep(INTERVAL_MS, undefined, { signal: left.signal }).catch(() => {});
    }
    if (left.signal.aborted) return; // nobody to send to: stop producing
    const line = encoder.encode(`chunk ${i} of ${CHUNKS}\n`);
    await send({ type: 'http.response.body', body: line, moreBody: i < CHUNKS });
  }
}
