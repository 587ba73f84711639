/** Leaf apps for the auth tests: they answer JSON with the principal they see (or null). */
import { type AsyncApp, asyncApp, type SyncApp, syncApp, validateAsync, validateSync } from '@portico/spec';
import type { TestResponse } from '@portico/testing';
import { expect } from 'vitest';
import { PRINCIPAL_STATE_KEY, principalOf } from '../../src/auth/index.js';

const enc = new TextEncoder();

/** Async: `{ principal }` from `scope.state.principal` (through principalOf). */
export const whoAsync: AsyncApp = validateAsync(
  asyncApp(async function whoAsyncApp(scope, receive, send) {
    if (scope.type === 'websocket') {
      await receive();
      await send({ type: 'websocket.accept' });
      await send({ type: 'websocket.send', text: JSON.stringify({ principal: principalOf(scope) ?? null }) });
      await send({ type: 'websocket.close', code: 1000 });
      return;
    }
    if (scope.type !== 'http') return;
    await receive();
    const body = enc.encode(JSON.stringify({ principal: principalOf(scope) ?? null }));
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
    await send({ type: 'http.response.body', body });
  }),
);

/** Sync: `{ principal }` from `environ['portico.state'].principal`. */
export const whoSync: SyncApp = validateSync(
  syncApp(function whoSyncApp(environ, startResponse) {
    const state = environ['portico.state'] as Record<string, unknown>;
    startResponse('200 OK', [['Content-Type', 'application/json']]);
    return [enc.encode(JSON.stringify({ principal: state[PRINCIPAL_STATE_KEY] ?? null }))];
  }),
);

export const leaves = [
  ['async', whoAsync],
  ['sync', whoSync],
] as const;

/** Asserts the shape every rejection has: status, short text/plain body, no-store, challenges. */
export function expectRejection(res: TestResponse, status: number, challenges: string[]): void {
  expect(res.status).toBe(status);
  expect(res.header('content-type')).toBe('text/plain; charset=utf-8');
  expect(res.header('content-length')).toBe(String(res.body.length));
  expect(res.body.length).toBeGreaterThan(0);
  expect(res.header('cache-control')).toBe('no-store');
  expect(res.headerAll('www-authenticate')).toEqual(challenges);
}
