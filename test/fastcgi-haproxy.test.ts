/**
 * `@portico/fastcgi` behind HAProxy's FastCGI client (`fcgi-app`, examples/deploy/haproxy/haproxy.cfg
 * through test/peers/haproxy.ts): the conformance suite with kept, multiplexed connections, then
 * what HAProxy does on the wire, recorded by a relay between it and the adapter: FCGI_GET_VALUES
 * (FastCGI 1.0 section 4.1) and multiplexing on the adapter's word, its request ids, and
 * FCGI_ABORT_REQUEST when a client leaves mid-upload (section 5.4).
 */
import { request } from 'node:http';
import {
  decodeNameValuePairs,
  type FastCGIServer,
  FCGI_ABORT_REQUEST,
  FCGI_BEGIN_REQUEST,
  FCGI_END_REQUEST,
  FCGI_GET_VALUES,
  FCGI_GET_VALUES_RESULT,
  FCGI_KEEP_CONN,
  serve,
} from '@portico/fastcgi';
import { type AsyncApp, validateAsync } from '@portico/spec';
import { describe, expect } from 'vitest';
import { rule } from '../packages/server/test/rule.js';
import { conformanceApp, probe, release } from './conformance/apps.js';
import { fetchRaw } from './conformance/client.js';
import { conformanceSuite } from './conformance/suite.js';
import { maxInFlight, type Relay, type RelayRecord, startRelay } from './fastcgi-relay.js';
import { parseBackend } from './peers/backend.js';
import { frontEndRunner } from './peers/front-end-runner.js';
import { type HaproxyOptions, haproxyBinary, type RunningHaproxy, startHaproxy } from './peers/haproxy.js';

const runner = frontEndRunner({
  name: 'HAProxy fcgi-app -> fastcgi (keep-conn, mpxs-conns, TCP)',
  frontEnd: {
    chunkedUpload: {
      refusedWith: 400,
      reason: 'HAProxy sends a FastCGI app only bodies of known length, configuration.txt 10.2',
    },
  },
  serve,
  startFrontEnd: (backend) => startHaproxy({ backend, keepConn: true, multiplex: true }),
});

/** Request records of one type going one way. */
function recordsOf(relay: Relay, type: number, direction: RelayRecord['direction']): RelayRecord[] {
  return relay.records.filter((r) => r.type === type && r.direction === direction);
}

/** The adapter behind a recording relay, HAProxy in front; stops all three. */
async function startChain(
  app: AsyncApp,
  adapter: { multiplex: boolean },
  haproxy: Omit<HaproxyOptions, 'backend'>,
): Promise<{ server: FastCGIServer; relay: Relay; haproxy: RunningHaproxy; stop(): Promise<void> }> {
  const server = await serve(app, { bind: ['127.0.0.1:0'], lifespan: 'off', multiplex: adapter.multiplex });
  const relay = await startRelay(parseBackend(server.addresses[0]!));
  try {
    const front = await startHaproxy({ ...haproxy, backend: relay.address });
    return {
      server,
      relay,
      haproxy: front,
      async stop() {
        await front.stop();
        await relay.close();
        await server.close();
      },
    };
  } catch (error) {
    await relay.close();
    await server.close();
    throw error;
  }
}

/** Reads the body; tells the test, by `x-probe`, whether it ended or the client went away. */
const outcomes = new Map<string, (what: string) => void>();
const uploadApp: AsyncApp = validateAsync(async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
  const settle = outcomes.get(scope.headers.find(([n]) => n === 'x-probe')?.[1] ?? '');
  let length = 0;
  for (;;) {
    const event = await receive();
    if (event.type === 'http.disconnect') {
      settle?.(`http.disconnect after ${length} bytes`);
      return;
    }
    if (event.type !== 'http.request') throw new Error(`unexpected event ${event.type}`);
    length += event.body.length;
    if (!event.moreBody) break;
  }
  settle?.(`body of ${length} bytes`);
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
  await send({ type: 'http.response.body', body: Buffer.from(String(length)) });
});

/** Six /stream requests at once, each held by its probe until released. */
async function concurrentStreams(baseUrl: string, relay: Relay, tag: string): Promise<void> {
  const ids = Array.from({ length: 6 }, (_, i) => `${tag}-${i}`);
  const probes = ids.map((id) => probe(id));
  // A first request opens a connection and learns the app's FCGI_GET_VALUES answers; the six then
  // find it kept open (a connection HAProxy opens for one of them cannot have been asked yet).
  expect((await fetchRaw(baseUrl, { path: '/head' })).status).toBe(200);
  const before = recordsOf(relay, FCGI_BEGIN_REQUEST, 'to-app').length;
  const replies = ids.map((id) => fetchRaw(baseUrl, { path: '/stream', headers: [['x-probe', id]] }));
  // All six are in flight at the adapter before any is let go.
  await expect.poll(() => recordsOf(relay, FCGI_BEGIN_REQUEST, 'to-app').length - before).toBe(6);
  for (let chunk = 0; chunk < 3; chunk++) for (const p of probes) release(p);
  for (const reply of await Promise.all(replies)) {
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe('chunk 1;chunk 2;chunk 3;');
  }
}

describe.skipIf(haproxyBinary === '')('@portico/fastcgi behind HAProxy', () => {
  conformanceSuite(runner);

  describe('FastCGI on the wire (a recording relay between HAProxy and the adapter)', () => {
    rule(
      'SRV-FCGI-5',
      'option get-values: every connection opens with FCGI_GET_VALUES, answered with what the adapter knows',
      async () => {
        const chain = await startChain(conformanceApp, { multiplex: true }, { getValues: true });
        try {
          expect((await fetchRaw(chain.haproxy.baseUrl, { path: '/head' })).status).toBe(200);
          const relay = chain.relay;
          const first = relay.records.find((r) => r.conn === relay.connections[0]!.id);
          expect(first).toMatchObject({ type: FCGI_GET_VALUES, requestId: 0, direction: 'to-app' });
          expect(decodeNameValuePairs(first!.content!)).toEqual([
            ['FCGI_MAX_REQS', ''],
            ['FCGI_MPXS_CONNS', ''],
          ]);
          const answers = recordsOf(relay, FCGI_GET_VALUES_RESULT, 'from-app');
          expect(answers).toHaveLength(1);
          expect(answers[0]!.requestId).toBe(0);
          // In the order asked; FCGI_MAX_CONNS was not asked, so it is not in the answer.
          expect(decodeNameValuePairs(answers[0]!.content!)).toEqual([
            ['FCGI_MAX_REQS', '1024'],
            ['FCGI_MPXS_CONNS', '1'],
          ]);
        } finally {
          await chain.stop();
        }
      },
    );

    for (const multiplex of [true, false]) {
      rule(
        'SRV-FCGI-5',
        `HAProxy ${multiplex ? 'multiplexes' : 'does not multiplex'} when the adapter answers FCGI_MPXS_CONNS=${multiplex ? 1 : 0} (mpxs-conns not configured)`,
        async () => {
          const chain = await startChain(
            conformanceApp,
            { multiplex },
            { getValues: true, multiplex: false },
          );
          try {
            await concurrentStreams(chain.haproxy.baseUrl, chain.relay, `mpx-${multiplex}`);
            const answers = recordsOf(chain.relay, FCGI_GET_VALUES_RESULT, 'from-app');
            for (const a of answers)
              expect(decodeNameValuePairs(a.content!)).toContainEqual([
                'FCGI_MPXS_CONNS',
                multiplex ? '1' : '0',
              ]);
            const most = Math.max(
              ...chain.relay.connections.map((c) => maxInFlight(chain.relay.records, c.id)),
            );
            if (multiplex) expect(most).toBeGreaterThanOrEqual(2);
            else expect(most).toBe(1);
            // Every request completed normally (no FCGI_CANT_MPX_CONN refusals).
            const ends = recordsOf(chain.relay, FCGI_END_REQUEST, 'from-app');
            expect(ends.map((r) => r.content![4])).toEqual(Array(7).fill(0));
          } finally {
            await chain.stop();
          }
        },
      );
    }

    rule(
      'SRV-FCGI-3',
      'option keep-conn, mpxs-conns: kept connections, request ids 1, 3, 5, ... with FCGI_KEEP_CONN',
      async () => {
        const chain = await startChain(
          conformanceApp,
          { multiplex: true },
          { keepConn: true, multiplex: true },
        );
        try {
          for (let i = 0; i < 5; i++) {
            const res = await fetchRaw(chain.haproxy.baseUrl, { path: '/head' });
            expect(res.body.toString()).toBe('hello, head');
          }
          const relay = chain.relay;
          const begins = recordsOf(relay, FCGI_BEGIN_REQUEST, 'to-app');
          expect(begins).toHaveLength(5);
          expect(begins.every((r) => (r.content![2]! & FCGI_KEEP_CONN) === FCGI_KEEP_CONN)).toBe(true);
          // HAProxy numbers the streams of a connection 1, 3, 5, ..., never reusing an id. Each of
          // its threads (one per CPU) keeps its own idle connection, so there may be more than one.
          const perConnection = relay.connections.map((c) =>
            begins.filter((r) => r.conn === c.id).map((r) => r.requestId),
          );
          for (const ids of perConnection) expect(ids).toEqual(ids.map((_, i) => 2 * i + 1));
          expect(Math.max(...perConnection.map((ids) => ids.length))).toBeGreaterThanOrEqual(2);
          expect(relay.connections.map((c) => c.closedBy)).toEqual(relay.connections.map(() => null));
        } finally {
          await chain.stop();
        }
      },
    );

    rule(
      'SRV-FCGI-6',
      'client gone mid-upload: HAProxy sends FCGI_ABORT_REQUEST, the app sees http.disconnect, FCGI_END_REQUEST follows',
      async () => {
        const chain = await startChain(uploadApp, { multiplex: true }, { keepConn: true, multiplex: true });
        const outcome = new Promise<string>((resolve) => outcomes.set('abort', resolve));
        try {
          // Past HAProxy's buffer (it holds a body's start until the buffer fills), then the client leaves.
          const req = request(`${chain.haproxy.baseUrl}/upload`, {
            method: 'POST',
            agent: false,
            headers: { 'x-probe': 'abort', 'content-length': String(1 << 20) },
          });
          req.on('error', () => {});
          req.write(Buffer.alloc(200_000, 'u'));
          const relay = chain.relay;
          await expect.poll(() => recordsOf(relay, FCGI_BEGIN_REQUEST, 'to-app').length).toBe(1);
          req.destroy();
          await expect.poll(() => recordsOf(relay, FCGI_ABORT_REQUEST, 'to-app').length).toBe(1);
          const id = recordsOf(relay, FCGI_BEGIN_REQUEST, 'to-app')[0]!.requestId;
          expect(recordsOf(relay, FCGI_ABORT_REQUEST, 'to-app')[0]!.requestId).toBe(id);
          expect(await outcome).toMatch(/^http\.disconnect after \d+ bytes$/);
          await expect
            .poll(() => recordsOf(relay, FCGI_END_REQUEST, 'from-app').map((r) => r.requestId))
            .toEqual([id]);
          const abortAt = recordsOf(relay, FCGI_ABORT_REQUEST, 'to-app')[0]!.at;
          expect(recordsOf(relay, FCGI_END_REQUEST, 'from-app')[0]!.at - abortAt).toBeLessThan(500);
          // The server goes on.
          outcomes.set('after', () => {});
          const after = await fetchRaw(chain.haproxy.baseUrl, {
            method: 'POST',
            path: '/upload',
            headers: [['x-probe', 'after']],
            body: Buffer.from('0123456789'),
          });
          expect(after.body.toString()).toBe('10');
        } finally {
          outcomes.clear();
          await chain.stop();
        }
      },
    );
  });
});
