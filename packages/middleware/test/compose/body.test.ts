import { createHash } from 'node:crypto';
import {
  type AsyncApp,
  asyncApp,
  isPorticoError,
  type Receive,
  type ReceiveEvent,
  validateAsync,
  validator,
} from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { bufferBody, compose } from '../../src/compose/index.js';
import { leaves } from './apps.js';

/**
 * A request-side middleware that needs the body (a digest check, say): it reads the body with
 * bufferBody, puts its SHA-256 into `state`, and answers 413 itself when it is over the limit.
 */
function digest(limit: number): (app: AsyncApp) => AsyncApp {
  return (app) =>
    asyncApp(async function bufferDigestApp(scope, receive, send) {
      if (scope.type !== 'http') return app(scope, receive, send);
      let buffered: Awaited<ReturnType<typeof bufferBody>>;
      try {
        buffered = await bufferBody(receive, { limit, headers: scope.headers });
      } catch (err) {
        if (!isPorticoError(err, 'ERR_BODY_TOO_LARGE')) throw err;
        await send({ type: 'http.response.start', status: err.status ?? 500, headers: [] });
        await send({ type: 'http.response.body', body: new TextEncoder().encode(err.message) });
        return;
      }
      const sha = createHash('sha256').update(buffered.body).digest('hex');
      return app(scope, buffered.receive, (event) =>
        event.type === 'http.response.start'
          ? send({ ...event, headers: [...(event.headers ?? []), ['x-sha256', sha]] })
          : send(event),
      );
    });
}

async function* chunks(...parts: string[]): AsyncIterable<string> {
  for (const p of parts) yield p;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe.each(leaves)('bufferBody on a $kind app', ({ kind, echo, asAsync }) => {
  const app = validateAsync(compose(digest(16))(validateAsync(asAsync(validator(echo)))));

  it('the middleware reads the body and the app gets the same bytes', async () => {
    const res = await createClient(app).post('/', { body: 'hello world' });
    expect(res.status).toBe(200);
    expect(res.text()).toBe('hello world');
    expect(res.header('x-sha256')).toBe(sha('hello world'));
  });

  it('replays a streamed body chunk by chunk', async () => {
    const res = await createClient(app).post('/', { body: chunks('ab', 'cd', 'ef') });
    expect(res.text()).toBe('abcdef');
    expect(res.header('x-sha256')).toBe(sha('abcdef'));
    // 3 chunks + the empty last event, as the client sent them (the sync bridge reads the whole input).
    if (kind === 'async') expect(res.header('x-events')).toBe('4');
  });

  it('a body over the limit is 413, from content-length before reading', async () => {
    const res = await createClient(app).post('/', { body: 'x'.repeat(17) });
    expect(res.status).toBe(413);
    expect(res.text()).toContain('larger than 16 bytes');
  });

  it('a streamed body over the limit is 413, and the rest is not read', async () => {
    let pulled = 0;
    async function* big(): AsyncIterable<string> {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield '0123456789';
      }
    }
    const res = await createClient(app).post('/', { body: big() });
    expect(res.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(3);
  });

  it('an empty body at the limit 0 passes', async () => {
    const zero = validateAsync(compose(digest(0))(asAsync(echo)));
    const res = await createClient(zero).post('/', { body: '' });
    expect(res.status).toBe(200);
    expect(res.header('x-sha256')).toBe(sha(''));
  });
});

describe('bufferBody unit', () => {
  const from = (events: ReceiveEvent[]): Receive => {
    let i = 0;
    return async () => events[i++] ?? { type: 'http.disconnect' };
  };

  it('keeps a disconnect that came during the read, then calls the original receive', async () => {
    const b = await bufferBody(
      from([
        { type: 'http.request', body: new Uint8Array([1]), moreBody: true },
        { type: 'http.disconnect' },
      ]),
      { limit: 10 },
    );
    expect(b.disconnected).toBe(true);
    expect(b.body.byteLength).toBe(0);
    expect(await b.receive()).toMatchObject({ type: 'http.request', moreBody: true });
    expect(await b.receive()).toEqual({ type: 'http.disconnect' });
    expect(await b.receive()).toEqual({ type: 'http.disconnect' });
  });

  it('refuses a bad limit', async () => {
    const err = await bufferBody(from([]), { limit: -1 }).catch((e: unknown) => e);
    expect(isPorticoError(err, 'ERR_INVALID_OPTION')).toBe(true);
  });

  it('throws ERR_BODY_TOO_LARGE with status 413', async () => {
    const err = await bufferBody(from([{ type: 'http.request', body: new Uint8Array(5), moreBody: false }]), {
      limit: 4,
    }).catch((e: unknown) => e);
    expect(isPorticoError(err, 'ERR_BODY_TOO_LARGE')).toBe(true);
    expect((err as { status?: number }).status).toBe(413);
  });
});

describe('client disconnect reaches every layer', () => {
  /** A middleware that records, under its name, the receive events that went through it. */
  function watch(name: string, log: Map<string, string[]>): (app: AsyncApp) => AsyncApp {
    log.set(name, []);
    return (app) =>
      asyncApp(async function watchApp(scope, receive, send) {
        return app(
          scope,
          async () => {
            const e = await receive();
            log.get(name)?.push(e.type);
            return e;
          },
          send,
        );
      });
  }

  it('through compose, a mount and bufferBody, the app and every layer see http.disconnect', async () => {
    const log = new Map<string, string[]>();
    let appSaw = '';
    const waiting = asyncApp(async function waitingApp(scope, receive, send) {
      if (scope.type !== 'http') throw new Error('unsupported');
      await receive(); // the (replayed) body
      await send({ type: 'http.response.start', status: 200, headers: [] });
      await send({ type: 'http.response.body', body: new Uint8Array([1]), moreBody: true });
      appSaw = (await receive()).type; // waits until the client leaves
    });
    const { mount } = await import('../../src/compose/index.js');
    const app = compose(
      watch('outer', log),
      digest(100),
      watch('inner', log),
    )(mount('/m', validateAsync(waiting)));
    const stream = await createClient(validateAsync(app)).stream('POST', '/m/x', { body: 'abc' });
    expect(stream.status).toBe(200);
    const first = await stream[Symbol.asyncIterator]().next();
    expect(first.value).toEqual(new Uint8Array([1]));
    await new Promise((r) => setTimeout(r, 10)); // the app is now waiting in receive()
    stream.disconnect();
    await stream.finished;
    expect(appSaw).toBe('http.disconnect');
    expect(log.get('outer')).toEqual(['http.request', 'http.disconnect']);
    expect(log.get('inner')).toEqual(['http.request', 'http.disconnect']);
  });
});
