/**
 * Garbage apps through the HTTP adapter (engineering rule 4): whatever an app sends, throws or
 * returns, the client gets a whole response (with a status the app chose, or 500) or a closed
 * connection, within 5 s; the process sees no unhandled rejection or uncaught exception; the log
 * has a few one-line entries per request; and the next connection is served.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AsyncStep, type EventRecipe, recipe } from '../../../packages/server/test/garbage-apps.js';
import { garbageCase, garbageHarness, type Outcome } from '../../../packages/server/test/garbage-harness.js';
import { HOSTILE } from '../../../packages/server/test/garbage-values.js';
import { type HTTPServer, serve } from '../src/index.js';
import { exchange, RawClient } from './helpers.js';

const harness = garbageHarness();
let server: HTTPServer;
let port = 0;

beforeAll(async () => {
  server = await serve(harness.app, { bind: ['127.0.0.1:0'], lifespan: 'off', logger: harness.logger });
  port = Number(new URL(server.addresses[0]!).port);
});
afterAll(() => server.close());

const REQUESTS = {
  get: 'GET /garbage HTTP/1.1\r\nHost: x\r\n\r\n',
  post: 'POST /garbage HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
  chunked: 'POST /garbage HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
};

async function request(raw: string): Promise<Outcome> {
  const client = new RawClient(port);
  try {
    await client.send(raw);
    try {
      return { kind: 'response', status: (await client.response(false, 5000)).status };
    } catch (err) {
      if (!client.closed) throw err; // a hang: 5 s without a whole response or a close
      // Closed before a whole response: only after the head went out (an abort), never silently.
      expect(client.data).toMatch(/^HTTP\/1\.1 \d{3} /);
      return { kind: 'closed', bytes: client.data.length };
    }
  } finally {
    client.close();
  }
}

async function stillServes(): Promise<void> {
  const res = await exchange(port, REQUESTS.get);
  expect([res.status, res.body]).toEqual([200, 'alive']);
}

it('a garbage app never hangs or crashes the HTTP server; the next connection gets 200', async () => {
  await fc.assert(
    fc.asyncProperty(
      garbageCase,
      fc.constantFrom('get', 'post', 'chunked') as fc.Arbitrary<keyof typeof REQUESTS>,
      (c, method) => harness.run(c, () => request(REQUESTS[method]), stillServes),
    ),
    { numRuns: 200 },
  );
});

// ---- regressions the property found (each shrunk to its steps) --------------------------------

const send = (name: string, make: () => unknown, status?: number): AsyncStep => ({
  op: 'send',
  event: (status === undefined ? recipe(name, make) : { ...recipe(name, make), status }) as EventRecipe,
  mode: 'await-catch',
});
const hostileNamed = (name: string) => HOSTILE.find((h) => h.name === name)!;

/** Runs `steps` through the harness (all its checks) and returns what the client saw. */
async function outcomeOf(steps: AsyncStep[]): Promise<Outcome> {
  let seen: Outcome | undefined;
  await harness.run(
    { kind: 'async', steps },
    async () => {
      seen = await request(REQUESTS.get);
      return seen;
    },
    stillServes,
  );
  return seen!;
}

it('a 1xx status in http.response.start is refused with 500, not written as an interim response the client waits past', async () => {
  // Was: "HTTP/1.1 100 Continue" then nothing; the client waited for a final response forever, and
  // would have taken the next response on the connection for this one.
  for (const status of [100, 102, 103, 199]) {
    const steps = [
      send(`start ${status}`, () => ({ type: 'http.response.start', status, headers: [] }), status),
      send('body', () => ({ type: 'http.response.body', body: new Uint8Array(0) })),
    ];
    expect(await outcomeOf(steps)).toEqual({ kind: 'response', status: 500 });
  }
});

it('a 204 whose body events carry bytes: the head goes out at once, no body byte is written (SRV-RESP-1)', async () => {
  // Was: the bytes went to node, which drops a 204's body and with it the head, so an abort after
  // left the client a closed connection without a byte.
  const steps = [
    send('start 204', () => ({ type: 'http.response.start', status: 204, headers: [] }), 204),
    send('body 1 byte, more', () => ({
      type: 'http.response.body',
      body: new Uint8Array([1]),
      moreBody: true,
    })),
  ];
  expect(await outcomeOf(steps)).toEqual({ kind: 'response', status: 204 });
});

it('send() of an event whose fields throw when read rejects (SRV-ERR-5) rather than throwing; the client gets 500', async () => {
  const getterThrows = hostileNamed('object whose getters throw');
  const revoked = hostileNamed('revoked proxy of {}');
  for (const event of [getterThrows, revoked]) {
    const rejected: unknown[] = [];
    const steps: AsyncStep[] = [
      {
        op: 'send',
        event: recipe(event.name, event.make) as EventRecipe,
        mode: 'await-catch',
      },
    ];
    expect(await outcomeOf(steps)).toEqual({ kind: 'response', status: 500 });
    // And directly: a rejected promise with ERR_SPEC_VIOLATION.
    const direct = await serve(
      async (scope, _receive, sendEvent) => {
        if (scope.type !== 'http') return;
        let threw = false;
        try {
          await sendEvent(event.make() as never).catch((err: unknown) => rejected.push(err));
        } catch {
          threw = true;
        }
        rejected.push(threw ? 'threw' : 'rejected');
      },
      { bind: ['127.0.0.1:0'], lifespan: 'off' },
    );
    const res = await exchange(Number(new URL(direct.addresses[0]!).port), REQUESTS.get);
    await direct.close();
    expect(res.status).toBe(500);
    expect((rejected[0] as { code?: unknown }).code).toBe('ERR_SPEC_VIOLATION');
    expect(rejected[1]).toBe('rejected');
  }
});

it('an app that throws an object whose getters throw after its response was aborted leaves no unhandled rejection', async () => {
  // Was: isPorticoError(err) read err.name, which threw; RequestCycle.run() rejected and nothing
  // handled it (an unhandled rejection ends the process).
  const thrown = hostileNamed('object whose getters throw a null-prototype object');
  const steps: AsyncStep[] = [
    send('start 200', () => ({ type: 'http.response.start', status: 200, headers: [] }), 200),
    send('body, more', () => ({ type: 'http.response.body', body: new Uint8Array([65]), moreBody: true })),
    send('body string', () => ({ type: 'http.response.body', body: 'not bytes' })),
    { op: 'throw', value: thrown },
  ];
  expect(await outcomeOf(steps)).toEqual({ kind: 'closed', bytes: expect.any(Number) });
});
