import type { AsyncApp, HTTPReceiveEvent, ReceiveEvent } from '@portico/spec';
import { isPorticoError } from '@portico/spec';
import { describe, expect, it } from 'vitest';
import { createClient } from '../src/index.js';
import { dec, echoApp, enc, httpScope } from './apps.js';

/** Sends `parts` as separate body events, recording what happened in `log`. */
function chunkedApp(parts: string[], log: string[]): AsyncApp {
  return async (scope, receive, send) => {
    httpScope(scope);
    await receive();
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
    for (const [i, part] of parts.entries()) {
      log.push(`send ${part}`);
      await send({ type: 'http.response.body', body: enc(part), moreBody: i < parts.length - 1 });
      log.push(`sent ${part}`);
    }
  };
}

describe('stream()', () => {
  it('resolves at http.response.start and yields one chunk per body event, in lockstep', async () => {
    const log: string[] = [];
    const res = await createClient(chunkedApp(['a', 'bc', ''], log)).stream('GET', '/events');
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toBe('text/plain');
    const it = res[Symbol.asyncIterator]();
    await new Promise((r) => setImmediate(r));
    // The app waits in send("a") until the test takes the chunk.
    expect(log).toEqual(['send a']);
    expect(dec((await it.next()).value as Uint8Array)).toBe('a');
    await new Promise((r) => setImmediate(r));
    // The app's send of "a" resolved only once the test took it; "bc" now waits.
    expect(log).toEqual(['send a', 'sent a', 'send bc']);
    expect(dec((await it.next()).value as Uint8Array)).toBe('bc');
    const last = await it.next();
    expect(last.done).toBe(false);
    expect((last.value as Uint8Array).byteLength).toBe(0);
    expect((await it.next()).done).toBe(true);
    await expect(res.finished).resolves.toBeUndefined();
  });

  it('reads the rest with readAll()', async () => {
    const res = await createClient(chunkedApp(['x', 'y', 'z'], [])).stream('GET', '/');
    const it = res[Symbol.asyncIterator]();
    await it.next();
    const rest = await res.readAll();
    expect(rest.text()).toBe('yz');
    expect(rest.status).toBe(200);
  });

  it('disconnect() mid-response: the app receives http.disconnect and send rejects ERR_CLIENT_DISCONNECTED', async () => {
    const seen: { receive?: ReceiveEvent; sendError?: unknown } = {};
    let tick = 0;
    const app: AsyncApp = async (scope, receive, send) => {
      httpScope(scope);
      await receive();
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: enc(`tick ${tick++}`), moreBody: true });
      seen.receive = await receive();
      try {
        for (;;) await send({ type: 'http.response.body', body: enc(`tick ${tick++}`), moreBody: true });
      } catch (err) {
        seen.sendError = err;
        throw err;
      }
    };
    const res = await createClient(app).stream('GET', '/ticks');
    const chunks: string[] = [];
    for await (const chunk of res) {
      chunks.push(dec(chunk));
      res.disconnect();
    }
    expect(chunks).toEqual(['tick 0']);
    // The app's ERR_CLIENT_DISCONNECTED after the client left does not fail the stream.
    await expect(res.finished).resolves.toBeUndefined();
    expect(seen.receive).toEqual({ type: 'http.disconnect' });
    expect(isPorticoError(seen.sendError, 'ERR_CLIENT_DISCONNECTED')).toBe(true);
  });

  it('breaking out of for-await disconnects', async () => {
    let sendError: unknown;
    const app: AsyncApp = async (scope, receive, send) => {
      httpScope(scope);
      await receive();
      await send({ type: 'http.response.start', status: 200 });
      try {
        for (let i = 0; ; i++)
          await send({ type: 'http.response.body', body: enc(String(i)), moreBody: true });
      } catch (err) {
        sendError = err;
      }
    };
    const res = await createClient(app).stream('GET', '/');
    for await (const chunk of res) {
      if (dec(chunk) === '2') break;
    }
    await res.finished;
    expect(isPorticoError(sendError, 'ERR_CLIENT_DISCONNECTED')).toBe(true);
  });

  it('a waiting receive() wakes with http.disconnect when the client leaves', async () => {
    let late: ReceiveEvent | undefined;
    const app: AsyncApp = async (scope, receive, send) => {
      httpScope(scope);
      await receive();
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: enc('open'), moreBody: true });
      late = await receive(); // a long-poll / SSE app waiting for the client to go
    };
    const res = await createClient(app).stream('GET', '/');
    const it = res[Symbol.asyncIterator]();
    await it.next();
    res.disconnect();
    await res.finished;
    expect(late).toEqual({ type: 'http.disconnect' });
  });

  it('the iteration throws the app error raised after the start', async () => {
    const app: AsyncApp = async (scope, receive, send) => {
      httpScope(scope);
      await receive();
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: enc('part'), moreBody: true });
      throw new Error('boom after start');
    };
    const res = await createClient(app).stream('GET', '/');
    const it = res[Symbol.asyncIterator]();
    expect(dec((await it.next()).value as Uint8Array)).toBe('part');
    await expect(it.next()).rejects.toThrow('boom after start');
    await expect(res.finished).rejects.toThrow('boom after start');
  });
});

describe('request body', () => {
  it('sends an async iterable in pieces through receive() with moreBody', async () => {
    const events: HTTPReceiveEvent[] = [];
    const app: AsyncApp = async (scope, receive, send) => {
      httpScope(scope);
      for (;;) {
        const e = (await receive()) as HTTPReceiveEvent;
        events.push(e);
        if (e.type !== 'http.request' || !e.moreBody) break;
      }
      await send({ type: 'http.response.start', status: 204 });
      await send({ type: 'http.response.body' });
    };
    async function* body() {
      yield enc('ab');
      yield 'cé';
      yield new Uint8Array(0);
    }
    await createClient(app).post('/upload', { body: body() });
    expect(events.map((e) => (e.type === 'http.request' ? [dec(e.body), e.moreBody] : e.type))).toEqual([
      ['ab', true],
      ['cé', true],
      ['', true],
      ['', false],
    ]);
  });

  it('a body given whole arrives as one event with moreBody false', async () => {
    const res = await createClient(echoApp).post('/', { body: new Uint8Array([1, 2, 3]) });
    expect(res.header('x-pieces')).toBe('3');
    expect([...res.body]).toEqual([1, 2, 3]);
    const none = await createClient(echoApp).get('/');
    expect(none.header('x-pieces')).toBe('0');
  });

  it('aborting mid-request disconnects: receive() gives http.disconnect, the request rejects with the reason', async () => {
    const controller = new AbortController();
    const events: string[] = [];
    const app: AsyncApp = async (scope, receive) => {
      httpScope(scope);
      for (;;) {
        const e = await receive();
        events.push(e.type === 'http.request' ? `request ${dec(e.body)}` : e.type);
        if (e.type !== 'http.request') return;
      }
    };
    async function* body() {
      yield enc('first');
      controller.abort(new Error('user left'));
      await new Promise(() => {}); // the rest never comes
    }
    const pending = createClient(app).post('/upload', { body: body(), signal: controller.signal });
    await expect(pending).rejects.toThrow('user left');
    expect(events).toEqual(['request first', 'http.disconnect']);
  });

  it('an already aborted signal never reaches the app', async () => {
    let called = false;
    const app: AsyncApp = async () => {
      called = true;
    };
    await expect(createClient(app).get('/', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(called).toBe(false);
  });

  it('a failing body iterable disconnects the app and rejects the request with its error', async () => {
    let seen = '';
    const app: AsyncApp = async (scope, receive) => {
      httpScope(scope);
      await receive();
      seen = (await receive()).type;
    };
    async function* body() {
      yield enc('x');
      throw new Error('upload broke');
    }
    await expect(createClient(app).post('/', { body: body() })).rejects.toThrow('upload broke');
    expect(seen).toBe('http.disconnect');
  });

  it('receive() after the response is complete gives http.disconnect, even with body left unread', async () => {
    let after: ReceiveEvent | undefined;
    const app: AsyncApp = async (scope, receive, send) => {
      httpScope(scope);
      await send({ type: 'http.response.start', status: 413 });
      await send({ type: 'http.response.body' });
      after = await receive();
    };
    const res = await createClient(app).post('/', { body: 'never read' });
    expect(res.status).toBe(413);
    expect(after).toEqual({ type: 'http.disconnect' });
  });

  it('receive() after the body blocks until the response completes, then gives http.disconnect', async () => {
    const order: string[] = [];
    const app: AsyncApp = async (scope, receive, send) => {
      httpScope(scope);
      await receive();
      const waiting = receive().then((e) => order.push(`received ${e.type}`));
      await new Promise((r) => setImmediate(r));
      order.push('responding');
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body' });
      await waiting;
    };
    await createClient(app).get('/');
    expect(order).toEqual(['responding', 'received http.disconnect']);
  });
});

describe('app errors', () => {
  const failing: AsyncApp = async (scope) => {
    httpScope(scope);
    throw new Error('db down');
  };

  it('reject the request by default (raiseAppErrors)', async () => {
    await expect(createClient(failing).get('/')).rejects.toThrow('db down');
    await expect(createClient(failing).stream('GET', '/')).rejects.toThrow('db down');
  });

  it('become a 500 as a server would answer with raiseAppErrors: false', async () => {
    const client = createClient(failing, { raiseAppErrors: false });
    const res = await client.get('/');
    expect(res.status).toBe(500);
    expect(res.text()).toBe('Internal Server Error');
    const streamed = await client.stream('GET', '/');
    expect(streamed.status).toBe(500);
    expect((await streamed.readAll()).text()).toBe('Internal Server Error');
  });

  it('after the start, cut the body short with raiseAppErrors: false', async () => {
    const app: AsyncApp = async (scope, _receive, send) => {
      httpScope(scope);
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: enc('half'), moreBody: true });
      throw new Error('late');
    };
    const res = await createClient(app, { raiseAppErrors: false }).get('/');
    expect(res.status).toBe(200);
    expect(res.text()).toBe('half');
  });
});
