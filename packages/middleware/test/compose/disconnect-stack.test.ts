/**
 * Client disconnect through the whole standard stack (issue 5, "client disconnect reaches every
 * layer"): a sync app's endless body is closed, an async app's `receive()` returns
 * `http.disconnect`, and the access log records the abandoned request, with every response-side
 * middleware in between (none of them may hold the stream).
 */

import { type AsyncApp, asyncApp, type SyncApp, syncApp, validateAsync, validateSync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { compose } from '../../src/compose/index.js';
import { accessLog, errorHandler, requestId } from '../../src/diagnostics/index.js';
import { conditionalGet, etag } from '../../src/files/index.js';
import { compression, contentLength, head } from '../../src/http/index.js';
import { securityHeaders } from '../../src/security/index.js';
import { cookieSession } from '../../src/sessions/index.js';

const KEY = 'a-session-key-of-at-least-32-bytes!!';
const CHUNK = new TextEncoder().encode(`${'tick '.repeat(200)}\n`);

/** The standard stack, outermost first, around `app`; `lines` collects the access log. */
function stack(app: SyncApp | AsyncApp, lines: string[]): AsyncApp {
  return compose<AsyncApp>(
    errorHandler({ debug: false }),
    accessLog({ write: (line) => lines.push(line) }),
    requestId(),
    securityHeaders(),
    compression({ threshold: 0 }),
    conditionalGet(),
    etag(),
    contentLength(),
    head(),
    cookieSession({ keys: [KEY] }),
  )(app as AsyncApp);
}

/** Takes two body chunks, then leaves; returns once the server side is done. */
async function readTwoThenLeave(app: AsyncApp): Promise<void> {
  const stream = await createClient(validateAsync(app)).stream('GET', '/feed', {
    headers: { 'accept-encoding': 'gzip' },
  });
  expect(stream.status).toBe(200);
  expect(stream.header('content-encoding')).toBe('gzip');
  const chunks = stream[Symbol.asyncIterator]();
  expect((await chunks.next()).done).toBe(false);
  expect((await chunks.next()).done).toBe(false);
  stream.disconnect();
  await stream.finished;
}

/** Polls `check` until it holds or `ms` pass. */
async function eventually(check: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return check();
}

describe('client disconnect through the standard stack', () => {
  it('closes the endless body of a sync app', async () => {
    let yielded = 0;
    let closed = false;
    const endless = syncApp(function endlessFeed(_environ, startResponse) {
      startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']]);
      return {
        [Symbol.iterator]: () => ({
          next: () => {
            yielded++;
            return { done: false, value: CHUNK };
          },
        }),
        close: () => {
          closed = true;
        },
      };
    });
    const lines: string[] = [];
    await readTwoThenLeave(stack(validateSync(endless), lines));
    expect(await eventually(() => closed)).toBe(true);
    const at = yielded;
    await new Promise((r) => setTimeout(r, 30));
    expect(yielded).toBe(at); // nothing more was pulled once the client left
    expect(await eventually(() => lines.length === 1)).toBe(true);
    expect(lines[0]).toMatch(/"GET \/feed HTTP\/1\.1" 200 /);
  });

  it("ends an async app's stream: receive() returns http.disconnect and send() rejects", async () => {
    let sawDisconnect = false;
    let sendRejected = false;
    const endless = asyncApp(async function endlessFeed(scope, receive, send) {
      if (scope.type !== 'http') return;
      await receive();
      const left = receive().then((e) => {
        sawDisconnect = e.type === 'http.disconnect';
      });
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
      try {
        for (;;) {
          await send({ type: 'http.response.body', body: CHUNK, moreBody: true });
          await new Promise((r) => setTimeout(r, 1));
        }
      } catch {
        sendRejected = true;
      }
      await left;
    });
    const lines: string[] = [];
    await readTwoThenLeave(stack(validateAsync(endless), lines));
    expect(await eventually(() => sawDisconnect && sendRejected)).toBe(true);
    expect(await eventually(() => lines.length === 1)).toBe(true);
    expect(lines[0]).toMatch(/"GET \/feed HTTP\/1\.1" 200 /);
  });
});
