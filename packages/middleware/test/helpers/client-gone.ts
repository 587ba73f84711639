/** An app that answers after `receive()` told it the client left, under a middleware and validators. */
import { type App, asyncApp, type PorticoError, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { expect } from 'vitest';

/**
 * Runs `middleware` over an app that reads until `http.disconnect` (the client aborts 5 ms into a
 * body that never ends), then sends a whole response. Returns the violations both validators saw and
 * what the app's first failing `send` rejected with.
 */
export async function answerAfterLeaving(
  middleware: (app: App) => App,
): Promise<{ violations: string[]; sendError: unknown }> {
  const violations: string[] = [];
  const onViolation = (err: PorticoError) => {
    violations.push(err.message);
  };
  let sendError: unknown;
  const leaf = asyncApp(async function lateApp(scope, receive, send) {
    if (scope.type !== 'http') return;
    while ((await receive()).type !== 'http.disconnect');
    try {
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
      await send({ type: 'http.response.body', body: new TextEncoder().encode('too late') });
    } catch (err) {
      sendError = err;
    }
  });
  const app = validateAsync(middleware(validateAsync(leaf, { onViolation })) as never, { onViolation });
  const client = createClient(app, { headers: { 'accept-encoding': 'gzip' } });
  const controller = new AbortController();
  const body = (async function* never() {
    yield new Uint8Array([1]);
    await new Promise(() => {});
  })();
  const done = client.post('/', { body, signal: controller.signal }).catch((err: unknown) => err);
  setTimeout(() => controller.abort(new Error('client left')), 5);
  expect(String(await done)).toMatch(/client left/);
  return { violations, sendError };
}
