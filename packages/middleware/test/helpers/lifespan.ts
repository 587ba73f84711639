/**
 * The shared "passes lifespan through" check (MW-PASS-1): a middleware must hand `lifespan` to the
 * app it wraps, untouched, for both startup and shutdown.
 */

import { type App, type AsyncApp, asyncApp, validateAsync } from '@portico/spec';
import { createClient, type TestClient } from '@portico/testing';
import { expect } from 'vitest';

/**
 * Wraps, with `wrap`, an app that records the lifespan events it receives (validated with
 * `validateAsync`), runs startup and shutdown through a test client, and asserts the app got
 * `lifespan.startup` and then `lifespan.shutdown`.
 *
 * @param wrap - the middleware under test, e.g. `cookies()`
 * @param other - the app's answer to every other scope type (default: nothing)
 * @returns the client, for further requests against the same app
 */
export async function expectLifespanPassesThrough(
  wrap: (app: App) => App,
  other?: AsyncApp,
): Promise<TestClient> {
  const seen: string[] = [];
  const app = wrap(
    validateAsync(
      asyncApp(async function lifespanApp(scope, receive, send) {
        if (scope.type !== 'lifespan') return other?.(scope, receive, send);
        seen.push((await receive()).type);
        await send({ type: 'lifespan.startup.complete' });
        seen.push((await receive()).type);
        await send({ type: 'lifespan.shutdown.complete' });
      }),
    ),
  );
  const client = createClient(app);
  await client.startup();
  expect(seen).toEqual(['lifespan.startup']);
  await client.shutdown();
  expect(seen).toEqual(['lifespan.startup', 'lifespan.shutdown']);
  return client;
}
