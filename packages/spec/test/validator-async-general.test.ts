import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AsyncApp, SendEvent } from '../src/async-types.js';
import { PorticoError } from '../src/errors.js';
import {
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

describe('general rules (ASYNC-GEN)', () => {
  it('ASYNC-GEN-1: the app returns a Promise', async () => {
    expect(await ruleOf((() => undefined) as unknown as AsyncApp)).toBe('ASYNC-GEN-1');
  });

  it('ASYNC-GEN-2: send() takes an event object (app side)', async () => {
    const err = await violationOf(run(validate(sender('hello')), httpScope()));
    expect([err.rule, err.side]).toEqual(['ASYNC-GEN-2', 'app']);
    expect(await ruleOf(sender({ status: 200 }))).toBe('ASYNC-GEN-2');
  });

  it('ASYNC-GEN-2: receive() resolves to an event (server side)', async () => {
    const app: AsyncApp = async (_s, receive) => {
      await receive();
    };
    const err = await violationOf(run(validate(app), httpScope(), [null as never]));
    expect([err.rule, err.side]).toEqual(['ASYNC-GEN-2', 'server']);
  });

  it('ASYNC-GEN-4: an event type neither the scope nor an offered extension defines', async () => {
    expect(await ruleOf(sender(START, { type: 'http.response.zerocopysend', file: 3 }))).toBe('ASYNC-GEN-4');
    expect(await ruleOf(sender({ type: 'websocket.accept' }))).toBe('ASYNC-GEN-4');
  });

  it('ASYNC-GEN-5: receive() and send() return Promises (server side)', async () => {
    const app: AsyncApp = async (_s, receive) => {
      await receive();
    };
    const plainReceive = validate(app)(httpScope(), (() => request()) as never, async () => {});
    expect((await violationOf(plainReceive)).rule).toBe('ASYNC-GEN-5');
    const err = await violationOf(run(validate(hello), httpScope(), [request()], { send: () => undefined }));
    expect([err.rule, err.side]).toEqual(['ASYNC-GEN-5', 'server']);
  });

  it('ASYNC-GEN-6: receive() returns only event types of the scope or an offered extension', async () => {
    const app: AsyncApp = async (_s, receive) => {
      await receive();
    };
    const err = await violationOf(run(validate(app), httpScope(), [{ type: 'websocket.connect' }]));
    expect([err.rule, err.side]).toEqual(['ASYNC-GEN-6', 'server']);
    const offered = httpScope({ extensions: { 'http.upgrade': {} } });
    const other: AsyncApp = async (_s, receive, send) => {
      expect((await receive()).type).toBe('http.upgrade.ready');
      await send(START);
      await send(END);
    };
    await expect(
      run(validate(other), offered, [{ type: 'http.upgrade.ready' } as never]),
    ).resolves.toHaveLength(2);
  });

  it('ASYNC-GEN-8: receive() or send() after the app settled', async () => {
    let late: Promise<unknown> = Promise.resolve();
    const app: AsyncApp = async (_s, receive, send) => {
      await send(START);
      await send(END);
      late = new Promise((resolve) => setTimeout(resolve, 0)).then(() => receive());
    };
    await run(validate(app), httpScope(), [DISCONNECT]);
    const err = await violationOf(late);
    expect([err.rule, err.side]).toEqual(['ASYNC-GEN-8', 'app']);
  });

  it('ASYNC-GEN-7: an app that ignores a scope instead of rejecting it', async () => {
    expect(await ruleOf(async () => {})).toBe('ASYNC-GEN-7');
  });
});

describe('response headers (ASYNC-HDR, app side)', () => {
  const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/);
  const value = fc.string({
    unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
    maxLength: 40,
  });

  it('arbitrary valid header lists pass (names in any case)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(token, value), { maxLength: 8 }), async (headers) => {
        await expect(run(validate(sender({ ...START, headers }, END)), httpScope())).resolves.toHaveLength(2);
      }),
      { numRuns: 60 },
    );
  });

  it('ASYNC-HDR-1: headers is a list of [name, value] string pairs', async () => {
    for (const headers of [
      { 'content-type': 'text/plain' },
      [['a']],
      [['a', 1]],
      [['a', 'b', 'c']],
      ['ab'],
    ]) {
      expect(await ruleOf(sender({ ...START, headers }))).toBe('ASYNC-HDR-1');
    }
  });

  it('ASYNC-HDR-3: names are tokens', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s)),
        async (name) => {
          expect(await ruleOf(sender({ ...START, headers: [[name, 'v']] }))).toBe('ASYNC-HDR-3');
        },
      ),
      { numRuns: 60 },
    );
    expect(await ruleOf(sender({ ...START, headers: [[':status', '200']] }))).toBe('ASYNC-HDR-3');
  });

  it('ASYNC-HDR-4: values with CR, LF or NUL are refused (header injection)', async () => {
    await fc.assert(
      fc.asyncProperty(value, fc.constantFrom('\r', '\n', '\0', '\r\n'), value, async (a, bad, b) => {
        const err = await violationOf(
          run(validate(sender({ ...START, headers: [['x-a', a + bad + b]] })), httpScope()),
        );
        expect([err.rule, err.side]).toEqual(['ASYNC-HDR-4', 'app']);
      }),
      { numRuns: 60 },
    );
    expect(await ruleOf(sender({ ...START, headers: [['x-a', 'caf\u00e9 \u20ac']] }))).toBe('ASYNC-HDR-4');
  });
});

describe('SRV-ERR-5: a server rejects events that break the spec', () => {
  it('is reported when the server accepts an invalid event (handler not throwing)', async () => {
    const { violations, onViolation } = collecting();
    await run(validate(sender(END, START, END), onViolation), httpScope());
    expect(violations.map((v) => v.rule)).toEqual(['ASYNC-HTTP-4', 'SRV-ERR-5']);
    expect(violations[1]?.side).toBe('server');
  });

  it('is not reported when the server rejects it', async () => {
    const { violations, onViolation } = collecting();
    let calls = 0;
    const strict = (event: SendEvent) =>
      calls++ === 0 && event.type === 'http.response.body'
        ? Promise.reject(new PorticoError('ERR_SPEC_VIOLATION', 'refused'))
        : Promise.resolve();
    const app: AsyncApp = async (_s, _r, send) => {
      await send(END).catch(() => undefined);
      await send(START);
      await send(END);
    };
    await run(validate(app, onViolation), httpScope(), [], { send: strict });
    expect(violations.map((v) => v.rule)).toEqual(['ASYNC-HTTP-4']);
  });
});
