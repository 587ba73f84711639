// Small apps shared by the test client's tests.
import type { AsyncApp, HTTPScope, Receive, Scope } from '@portico/spec';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Narrows a scope to http, failing loudly otherwise (test apps do not speak lifespan). */
export function httpScope(scope: Scope): HTTPScope {
  if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
  return scope;
}

/** Reads the whole request body, returning the bytes and the events' body lengths. */
export async function readBody(receive: Receive): Promise<{ body: Uint8Array; pieces: number[] }> {
  const chunks: Uint8Array[] = [];
  const pieces: number[] = [];
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request') throw new Error(`unexpected ${event.type}`);
    chunks.push(event.body);
    pieces.push(event.body.byteLength);
    if (!event.moreBody) break;
  }
  return { body: Buffer.concat(chunks), pieces };
}

/** Answers with the scope as JSON (minus functions), for checking how scopes are built. */
export const scopeApp: AsyncApp = async (scope, receive, send) => {
  const s = httpScope(scope);
  await readBody(receive);
  const body = enc(JSON.stringify(s));
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
  await send({ type: 'http.response.body', body });
};

/** Echoes the request body, and reports the pieces it arrived in as `x-pieces`. */
export const echoApp: AsyncApp = async (scope, receive, send) => {
  httpScope(scope);
  const { body, pieces } = await readBody(receive);
  await send({
    type: 'http.response.start',
    status: 200,
    headers: [
      ['content-type', 'application/octet-stream'],
      ['x-pieces', pieces.join(',')],
    ],
  });
  await send({ type: 'http.response.body', body });
};

/** Sends `Hello, world` as the async hello app does. */
export const helloAsync: AsyncApp = async (scope, receive, send) => {
  httpScope(scope);
  await readBody(receive);
  await send({
    type: 'http.response.start',
    status: 200,
    headers: [
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', '12'],
    ],
  });
  await send({ type: 'http.response.body', body: enc('Hello, world') });
};
