// @ts-check
/**
 * The async hello app of examples/hello/async.ts, in plain JavaScript so the benchmark runs it from
 * built code without a loader. Keep the two in step.
 */

const BODY = new TextEncoder().encode('Hello, world!\n');
/** @type {import('@portico/spec').HeaderList} */
const HEADERS = [
  ['content-type', 'text/plain; charset=utf-8'],
  ['content-length', String(BODY.byteLength)],
];

/** @type {import('@portico/spec').AsyncApp} */
export default async function hello(scope, receive, send) {
  if (scope.type === 'lifespan') {
    for (;;) {
      const event = await receive();
      if (event.type === 'lifespan.startup') await send({ type: 'lifespan.startup.complete' });
      if (event.type === 'lifespan.shutdown') return send({ type: 'lifespan.shutdown.complete' });
    }
  }
  if (scope.type !== 'http') throw new Error(`hello: unsupported scope type ${scope.type}`);
  await send({ type: 'http.response.start', status: 200, headers: HEADERS });
  await send({ type: 'http.response.body', body: BODY });
}
