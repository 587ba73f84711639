/**
 * Echo (spec/async.md): streams the request body back as the response body, chunk by chunk as it
 * arrives, with the request's content-type (and content-length, when the request had one).
 * Run it with `pnpm exec portico serve examples/echo/app.ts`, then
 * `curl --data-binary @somefile -H 'content-type: text/plain' localhost:8000`.
 */
import type { Header, Receive, Scope, Send } from '@portico/spec';

export default async function echo(scope: Scope, receive: Receive, send: Send): Promise<void> {
  // This app has no lifespan work and no websocket support: refuse other scope types.
  if (scope.type !== 'http') throw new Error(`echo: unsupported scope type ${scope.type}`);

  // Scope header names are lowercase (spec/async.md "Headers"); values are passed on unchanged.
  let contentType = 'application/octet-stream';
  const headers: Header[] = [];
  for (const [name, value] of scope.headers) {
    if (name === 'content-type') contentType = value;
    if (name === 'content-length') headers.push(['content-length', value]);
  }
  headers.push(['content-type', contentType]);

  await send({ type: 'http.response.start', status: 200, headers });
  for (;;) {
    const event = await receive();
    if (event.type === 'http.disconnect') return; // client gone: nothing left to echo
    if (event.type !== 'http.request') continue;
    // Each send() resolves once the chunk is on its way, so a slow reader slows the upload too.
    await send({ type: 'http.response.body', body: event.body, moreBody: event.moreBody });
    if (!event.moreBody) return;
  }
}
