import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AsyncApp } from '../src/async-types.js';
import { validateAsync } from '../src/validator/index.js';
import {
  clientGone,
  collecting,
  DISCONNECT,
  END,
  hello,
  httpScope,
  request,
  httpRuleOf as ruleOf,
  run,
  START,
  sender,
  validate,
  violationOf,
} from './helpers/communicator.js';

describe('valid http apps pass cleanly', () => {
  it('hello: start then one body', async () => {
    const sent = await run(validate(hello), httpScope(), [request()]);
    expect(sent.map((e) => e.type)).toEqual(['http.response.start', 'http.response.body']);
  });

  it('through validateAsync too', async () => {
    await expect(run(validateAsync(hello), httpScope(), [request()])).resolves.toHaveLength(2);
  });

  it('streams a request body split anywhere and a response in any number of chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array(), { maxLength: 6 }),
        fc.array(fc.uint8Array(), { maxLength: 6 }),
        async (inChunks, outChunks) => {
          const input = inChunks.map((body, i) => ({
            type: 'http.request' as const,
            body,
            moreBody: i < inChunks.length - 1,
          }));
          if (input.length === 0)
            input.push({ type: 'http.request', body: new Uint8Array(), moreBody: false });
          const app: AsyncApp = async (_s, receive, send) => {
            let more = true;
            while (more) {
              const e = await receive();
              more = e.type === 'http.request' && e.moreBody;
            }
            await send(START);
            for (const body of outChunks) await send({ type: 'http.response.body', body, moreBody: true });
            await send({ type: 'http.response.body' });
          };
          const sent = await run(validate(app), httpScope(), input);
          expect(sent).toHaveLength(outChunks.length + 2);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('receive() after the response is complete gets http.disconnect', async () => {
    const app: AsyncApp = async (_s, receive, send) => {
      await send(START);
      await send(END);
      expect(await receive()).toEqual(DISCONNECT);
    };
    await expect(run(validate(app), httpScope(), [DISCONNECT])).resolves.toHaveLength(2);
  });

  it('an app that stops after the client went away is fine', async () => {
    const app: AsyncApp = async (_s, receive) => {
      await receive();
    };
    await expect(run(validate(app), httpScope(), [DISCONNECT])).resolves.toEqual([]);
  });

  it('an app that catches ERR_CLIENT_DISCONNECTED and returns is fine', async () => {
    const app: AsyncApp = async (_s, _r, send) => {
      await send(START).catch(() => undefined);
    };
    await expect(run(validate(app), httpScope(), [], { send: clientGone })).resolves.toHaveLength(1);
  });

  it('the app rejecting is passed through unchanged, with nothing else reported', async () => {
    const boom = new Error('boom');
    const { violations, onViolation } = collecting();
    const app: AsyncApp = async (_s, _r, send) => {
      await send(START);
      throw boom;
    };
    await expect(run(validate(app, onViolation), httpScope())).rejects.toBe(boom);
    expect(violations).toEqual([]);
  });

  it('events of an offered extension pass through to the server', async () => {
    const scope = httpScope({ extensions: { 'http.response.zerocopysend': {} } });
    const sent = await run(validate(sender(START, { type: 'http.response.zerocopysend', file: 3 })), scope);
    expect(sent[1]?.type).toBe('http.response.zerocopysend');
  });

  it('keys this spec does not define are ignored', async () => {
    const app = sender({ ...START, 'x-custom': 1 }, { ...END, other: 'x' });
    await expect(run(validate(app), httpScope({ 'x-server-key': true }))).resolves.toHaveLength(2);
  });
});

describe('HTTP events (ASYNC-HTTP)', () => {
  it('ASYNC-HTTP-3: http.request body is a Uint8Array and moreBody a boolean (server side)', async () => {
    const bad = [
      { type: 'http.request', body: 'text', moreBody: false },
      { type: 'http.request', body: new TextEncoder().encode('x') },
    ];
    for (const event of bad) {
      const err = await violationOf(run(validate(hello), httpScope(), [event as never]));
      expect([err.rule, err.side]).toEqual(['ASYNC-HTTP-3', 'server']);
    }
  });

  it('ASYNC-HTTP-4: http.response.body before http.response.start', async () => {
    const err = await violationOf(run(validate(sender(END)), httpScope()));
    expect([err.rule, err.side]).toEqual(['ASYNC-HTTP-4', 'app']);
    expect(err.message).toContain(
      'http.response.body sent before http.response.start (ASYNC-HTTP-4); side: app',
    );
  });

  it('ASYNC-HTTP-5: http.response.start twice', async () => {
    expect(await ruleOf(sender(START, START))).toBe('ASYNC-HTTP-5');
  });

  it('ASYNC-HTTP-6: status is an integer 200..599', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ min: -1000, max: 199 }),
          fc.integer({ min: 600, max: 10000 }),
          fc.constant(100),
          fc.constant(101),
          fc.constant(103),
          fc.double({ min: 200.1, max: 598.9, noNaN: true }).filter((d) => !Number.isInteger(d)),
          fc.constant('200'),
        ),
        async (status) => {
          expect(await ruleOf(sender({ ...START, status }))).toBe('ASYNC-HTTP-6');
        },
      ),
      { numRuns: 40 },
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 200, max: 599 }), async (status) => {
        await expect(run(validate(sender({ ...START, status }, END)), httpScope())).resolves.toHaveLength(2);
      }),
      { numRuns: 40 },
    );
  });

  it('ASYNC-HTTP-7: body is bytes, not a string; moreBody and trailers are booleans', async () => {
    const err = await violationOf(
      run(validate(sender(START, { type: 'http.response.body', body: 'ok' })), httpScope()),
    );
    expect(err.rule).toBe('ASYNC-HTTP-7');
    expect(err.message).toContain('string');
    expect(await ruleOf(sender(START, { type: 'http.response.body', body: [1, 2] }))).toBe('ASYNC-HTTP-7');
    expect(await ruleOf(sender(START, { type: 'http.response.body', moreBody: 'yes' }))).toBe('ASYNC-HTTP-7');
    expect(await ruleOf(sender({ ...START, trailers: 1 }))).toBe('ASYNC-HTTP-7');
  });

  it('ASYNC-HTTP-8: nothing after the final body', async () => {
    expect(await ruleOf(sender(START, END, END))).toBe('ASYNC-HTTP-8');
  });

  it('ASYNC-HTTP-9: send() after http.disconnect must reject with ERR_CLIENT_DISCONNECTED', async () => {
    const app: AsyncApp = async (_s, receive, send) => {
      await receive(); // http.disconnect
      await send(START);
    };
    const err = await violationOf(run(validate(app), httpScope(), [DISCONNECT]));
    expect([err.rule, err.side]).toEqual(['ASYNC-HTTP-9', 'server']);
    // rejecting with another error after the disconnect is also wrong
    const other = await violationOf(
      run(validate(app), httpScope(), [DISCONNECT], { send: () => Promise.reject(new Error('gone')) }),
    );
    expect(other.rule).toBe('ASYNC-HTTP-9');
  });

  it('ASYNC-HTTP-9: send() must not leak a raw socket error', async () => {
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    const err = await violationOf(
      run(validate(hello), httpScope(), [request()], { send: () => Promise.reject(epipe) }),
    );
    expect([err.rule, err.side, err.value]).toEqual(['ASYNC-HTTP-9', 'server', 'EPIPE']);
  });

  it('ASYNC-HTTP-9: a server that rejects with ERR_CLIENT_DISCONNECTED passes', async () => {
    const app: AsyncApp = async (_s, receive, send) => {
      await receive();
      await send(START);
    };
    const rejected = run(validate(app), httpScope(), [DISCONNECT], { send: clientGone });
    await expect(rejected).rejects.toMatchObject({ code: 'ERR_CLIENT_DISCONNECTED' });
  });

  it('ASYNC-HTTP-10: nothing but http.disconnect after the last http.request or after http.disconnect', async () => {
    const reader: AsyncApp = async (_s, receive) => {
      await receive();
      await receive();
    };
    for (const input of [
      [request('a'), request('b')],
      [DISCONNECT, request('b')],
    ]) {
      const err = await violationOf(run(validate(reader), httpScope(), input));
      expect([err.rule, err.side]).toEqual(['ASYNC-HTTP-10', 'server']);
    }
  });

  it('ASYNC-HTTP-11: receive() called after the response is complete returns http.disconnect', async () => {
    const app: AsyncApp = async (_s, receive, send) => {
      await send(START);
      await send(END);
      await receive();
    };
    const err = await violationOf(run(validate(app), httpScope(), [request()]));
    expect([err.rule, err.side]).toEqual(['ASYNC-HTTP-11', 'server']);
  });

  it('ASYNC-HTTP-12: the app resolves before the response is complete', async () => {
    expect(await ruleOf(sender(START))).toBe('ASYNC-HTTP-12');
    expect(await ruleOf(sender(START, { ...END, moreBody: true }))).toBe('ASYNC-HTTP-12');
    const reads: AsyncApp = async (_s, receive) => {
      await receive();
    };
    expect(await ruleOf(reads)).toBe('ASYNC-HTTP-12');
  });

  it('a violation the app swallows still rejects the call', async () => {
    const app: AsyncApp = async (_s, _r, send) => {
      await send(END).catch(() => undefined);
    };
    expect((await violationOf(run(validate(app), httpScope()))).rule).toBe('ASYNC-HTTP-4');
  });
});
