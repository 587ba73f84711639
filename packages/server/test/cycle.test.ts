import { isPorticoError, type ReceiveEvent } from '@portico/spec';
import { describe, expect, it } from 'vitest';
import { FakeCycle, memoryLogger, runApp, scope, text } from './fake-cycle.js';
import { rule } from './rule.js';

const start = (status = 200, headers: [string, string][] = []) =>
  ({ type: 'http.response.start', status, headers }) as const;
const body = (s: string, moreBody = false) =>
  ({ type: 'http.response.body', body: text(s), moreBody }) as const;

describe('RequestCycle: the response', () => {
  it('writes the head with the first body, adding content-length when the body is whole', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send(start(200, [['content-type', 'text/plain']]));
      await send(body('hello'));
    });
    expect(cycle.wire).toEqual([
      {
        op: 'head',
        status: 200,
        headers: [
          ['content-type', 'text/plain'],
          ['content-length', '5'],
        ],
        body: 'hello',
        end: true,
      },
    ]);
  });

  it('streams without content-length when the first body has moreBody', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send(start());
      await send(body('a', true));
      await send(body('b', true));
      await send(body(''));
    });
    expect(cycle.wire.map((w) => w.op)).toEqual(['head', 'body', 'body']);
    expect(cycle.wire[0]).toMatchObject({ headers: [], body: 'a', end: false });
    expect(cycle.wire.at(-1)).toMatchObject({ op: 'body', end: true });
    expect(cycle.bytesSent).toBe(2);
  });

  rule('SRV-RESP-1', 'writes no body bytes for HEAD, keeping the content-length of the body', async () => {
    const cycle = await runApp(
      async (_s, _r, send) => {
        await send(start());
        await send(body('hello'));
      },
      { isHead: true },
    );
    expect(cycle.wire).toEqual([
      { op: 'head', status: 200, headers: [['content-length', '5']], body: '', end: true },
    ]);
    expect(cycle.bytesSent).toBe(0);
  });

  it('adds no content-length to 204 and 304 responses', async () => {
    for (const status of [204, 304]) {
      const cycle = await runApp(async (_s, _r, send) => {
        await send(start(status));
        await send(body(''));
      });
      expect(cycle.wire[0]).toMatchObject({ status, headers: [] });
    }
  });

  it('drops a transfer-encoding header the app sets: the server owns the framing', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send(
        start(200, [
          ['Transfer-Encoding', 'chunked'],
          ['x-a', '1'],
        ]),
      );
      await send(body('x'));
    });
    expect(cycle.wire[0]).toMatchObject({
      headers: [
        ['x-a', '1'],
        ['content-length', '1'],
      ],
    });
  });

  rule(
    'SRV-FLOW-1',
    'send() resolves only once the wire drained when a write reports backpressure',
    async () => {
      const cycle = new FakeCycle(memoryLogger(), { writable: false });
      let second = false;
      const done = cycle.run(async (_s, _r, send) => {
        await send(start());
        await send(body('a', true));
        second = true;
        await send(body('b'));
      }, scope());
      await new Promise((r) => setTimeout(r, 20));
      expect(second).toBe(false);
      expect(cycle.drainRequested).toBe(1);
      cycle.drained();
      await done;
      expect(second).toBe(true);
      expect(cycle.bodyText).toBe('ab');
    },
  );

  it('writes trailers after the last body when announced', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [], trailers: true });
      await send(body('x'));
      await send({ type: 'http.response.trailers', headers: [['a', '1']], moreTrailers: true });
      await send({ type: 'http.response.trailers', headers: [['b', '2']] });
    });
    expect(cycle.wire).toEqual([
      { op: 'head', status: 200, headers: [], body: 'x', end: false },
      {
        op: 'trailers',
        headers: [
          ['a', '1'],
          ['b', '2'],
        ],
      },
    ]);
  });

  it('writes early hints before the response', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send({ type: 'http.response.early_hints', headers: [['link', '</a.css>; rel=preload']] });
      await send(start());
      await send(body(''));
    });
    expect(cycle.wire[0]).toEqual({ op: 'hints', headers: [['link', '</a.css>; rel=preload']] });
  });
});

describe('RequestCycle: error containment', () => {
  rule('SRV-ERR-1', 'an app that throws before the response started gets a 500, stack logged', async () => {
    const cycle = await runApp(async () => {
      throw new Error('boom');
    });
    expect(cycle.wire).toHaveLength(1);
    expect(cycle.wire[0]).toMatchObject({ op: 'head', status: 500, end: true });
    const err = cycle.logger.records.find((r) => r.level === 'error');
    expect(err?.fields?.rule).toBe('SRV-ERR-1');
    expect((err?.fields?.error as Error | undefined)?.stack).toContain('boom');
  });

  rule('SRV-ERR-1', 'a 500 replaces a held http.response.start when nothing was written', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send(start(200, [['x-secret', 'do not leak']]));
      throw new Error('late');
    });
    expect(cycle.wire).toHaveLength(1);
    expect(cycle.wire[0]).toMatchObject({ status: 500 });
    expect(JSON.stringify(cycle.wire)).not.toContain('do not leak');
  });

  rule('SRV-ERR-2', 'an app that throws after the head was written gets its connection aborted', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send(start());
      await send(body('part', true));
      throw new Error('midway');
    });
    expect(cycle.wire.map((w) => w.op)).toEqual(['head', 'abort']);
    expect(cycle.logger.records.some((r) => r.level === 'error' && r.fields?.rule === 'SRV-ERR-2')).toBe(
      true,
    );
  });

  rule('SRV-ERR-3', 'an app that returns without responding gets a 500', async () => {
    const cycle = await runApp(async () => {});
    expect(cycle.wire).toEqual([expect.objectContaining({ op: 'head', status: 500 })]);
    expect(cycle.logger.records.some((r) => r.fields?.rule === 'SRV-ERR-3')).toBe(true);
  });

  rule('SRV-ERR-3', 'an app that returns mid-body gets its connection aborted', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send(start());
      await send(body('part', true));
    });
    expect(cycle.wire.at(-1)).toEqual({ op: 'abort' });
  });

  rule('SRV-ERR-3', 'an app that announced trailers and never sent them is aborted', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200, trailers: true });
      await send(body('x'));
    });
    expect(cycle.wire.at(-1)).toEqual({ op: 'abort' });
  });

  rule('SRV-ERR-1', 'a synchronous throw (non-async app) is contained too', async () => {
    const cycle = await runApp((() => {
      throw new Error('sync');
    }) as never);
    expect(cycle.wire[0]).toMatchObject({ status: 500 });
  });

  for (const [what, value] of [
    ['CR LF', 'a\r\nSet-Cookie: evil=1'],
    ['LF', 'a\nb'],
    ['NUL', 'a\0b'],
    ['non-Latin-1', 'caf\u0100'],
    ['a non-string', 42 as unknown as string],
  ] as const) {
    rule('SRV-SEC-1', `a header value with ${what} is refused before anything is written: 500`, async () => {
      let rejected: unknown;
      const cycle = await runApp(async (_s, _r, send) => {
        try {
          await send(start(200, [['x-a', value]]));
        } catch (err) {
          rejected = err;
          throw err;
        }
      });
      expect(isPorticoError(rejected, 'ERR_BAD_HEADER')).toBe(true);
      expect(cycle.wire).toHaveLength(1);
      expect(cycle.wire[0]).toMatchObject({ status: 500 });
      expect(JSON.stringify(cycle.wire)).not.toContain('evil');
      // logged once, for the refusal, not again when the app rethrows it
      expect(cycle.logger.records.filter((r) => r.level === 'error')).toHaveLength(1);
    });
  }

  rule('SRV-SEC-1', 'a header name that is not a token is refused', async () => {
    let rejected: unknown;
    const cycle = await runApp(async (_s, _r, send) => {
      await send(start(200, [['x-a\r\nx-b', 'v']])).catch((e: unknown) => {
        rejected = e;
      });
    });
    expect(isPorticoError(rejected, 'ERR_BAD_HEADER')).toBe(true);
    expect(cycle.wire).toEqual([expect.objectContaining({ status: 500 })]);
  });

  rule('SRV-SEC-1', 'a bad trailer aborts instead of being written', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200, trailers: true });
      await send(body('x'));
      await send({ type: 'http.response.trailers', headers: [['a', 'x\r\ny']] }).catch(() => {});
    });
    expect(cycle.wire.map((w) => w.op)).toEqual(['head', 'abort']);
  });

  rule(
    'SRV-ERR-4',
    'send() after the client left rejects with ERR_CLIENT_DISCONNECTED and is not logged as an error',
    async () => {
      const cycle = new FakeCycle(memoryLogger());
      let rejected: unknown;
      const done = cycle.run(async (_s, receive, send) => {
        await send(start());
        await send(body('a', true));
        cycle.clientDisconnected();
        expect(await receive()).toEqual({ type: 'http.disconnect' });
        try {
          await send(body('b', true));
        } catch (err) {
          rejected = err;
          throw err;
        }
      }, scope());
      await done;
      expect(isPorticoError(rejected, 'ERR_CLIENT_DISCONNECTED')).toBe(true);
      expect(cycle.logger.records.filter((r) => r.level === 'error')).toEqual([]);
      expect(cycle.wire.map((w) => w.op)).toEqual(['head']);
    },
  );

  rule('SRV-ERR-4', 'a send() waiting for drain rejects when the client leaves', async () => {
    const cycle = new FakeCycle(memoryLogger(), { writable: false });
    let rejected: unknown;
    const done = cycle.run(async (_s, _r, send) => {
      await send(start());
      await send(body('a', true)).catch((e: unknown) => {
        rejected = e;
      });
    }, scope());
    await new Promise((r) => setTimeout(r, 10));
    cycle.clientDisconnected();
    await done;
    expect(isPorticoError(rejected, 'ERR_CLIENT_DISCONNECTED')).toBe(true);
  });

  const misuses: [string, (send: (e: never) => Promise<void>) => Promise<void>][] = [
    ['body before start', async (send) => send(body('x') as never)],
    [
      'start twice',
      async (send) => {
        await send(start() as never);
        await send(body('x', true) as never);
        await send(start() as never);
      },
    ],
    [
      'a string body',
      async (send) => {
        await send(start() as never);
        await send({ type: 'http.response.body', body: 'xyzzy' } as never);
      },
    ],
    ['status 101', async (send) => send(start(101) as never)],
    ['status 600', async (send) => send(start(600) as never)],
    ['an unknown event type', async (send) => send({ type: 'http.response.bogus' } as never)],
    ['a non-object event', async (send) => send(null as never)],
    [
      'trailers without announcing them',
      async (send) => {
        await send(start() as never);
        await send(body('x') as never);
        await send({ type: 'http.response.trailers', headers: [] } as never);
      },
    ],
    [
      'body after the response completed',
      async (send) => {
        await send(start() as never);
        await send(body('x') as never);
        await send(body('y') as never);
      },
    ],
    [
      'early hints after start',
      async (send) => {
        await send(start() as never);
        await send({ type: 'http.response.early_hints', headers: [] } as never);
      },
    ],
    [
      'pathsend with a relative path',
      async (send) => {
        await send(start() as never);
        await send({ type: 'http.response.pathsend', path: 'etc/passwd' } as never);
      },
    ],
  ];
  for (const [what, act] of misuses) {
    rule('SRV-ERR-5', `${what} is refused with ERR_SPEC_VIOLATION and nothing of it is written`, async () => {
      let rejected: unknown;
      const cycle = await runApp(async (_s, _r, send) => {
        try {
          await act(send as never);
        } catch (err) {
          rejected = err;
        }
      });
      expect(isPorticoError(rejected, 'ERR_SPEC_VIOLATION')).toBe(true);
      expect((rejected as { rule?: string }).rule).toBe('SRV-ERR-5');
      expect(JSON.stringify(cycle.wire)).not.toContain('xyzzy');
      expect(JSON.stringify(cycle.wire)).not.toContain('"y"');
    });
  }

  rule(
    'SRV-RESP-2',
    'a body longer than its content-length is refused: 500 when nothing was written',
    async () => {
      const cycle = await runApp(async (_s, _r, send) => {
        await send(start(200, [['content-length', '2']]));
        await send(body('three')).catch(() => {});
      });
      expect(cycle.wire).toEqual([expect.objectContaining({ status: 500 })]);
    },
  );

  rule(
    'SRV-RESP-2',
    'a body that runs past its content-length mid-stream aborts the connection',
    async () => {
      const cycle = await runApp(async (_s, _r, send) => {
        await send(start(200, [['content-length', '3']]));
        await send(body('ab', true));
        await send(body('cd', true)).catch(() => {});
      });
      expect(cycle.wire.map((w) => w.op)).toEqual(['head', 'abort']);
    },
  );

  rule('SRV-RESP-2', 'a body that ends short of its content-length aborts the connection', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send(start(200, [['content-length', '10']]));
      await send(body('ab', true));
      await send(body('cd')).catch(() => {});
    });
    expect(cycle.wire.map((w) => w.op)).toEqual(['head', 'abort']);
  });

  rule('SRV-RESP-2', 'two content-length headers, or a non-decimal one, are refused', async () => {
    for (const headers of [
      [
        ['content-length', '1'],
        ['Content-Length', '1'],
      ],
      [['content-length', '-1']],
      [['content-length', '1e3']],
    ] as [string, string][][]) {
      const cycle = await runApp(async (_s, _r, send) => {
        await send(start(200, headers)).catch(() => {});
      });
      expect(cycle.wire).toEqual([expect.objectContaining({ status: 500 })]);
    }
  });
});

describe('RequestCycle: the request body', () => {
  it('gives a request without body one empty last event, then waits for the end of the response', async () => {
    const events: ReceiveEvent[] = [];
    const cycle = await runApp(async (_s, receive, send) => {
      events.push(await receive());
      const pending = receive().then((e) => events.push(e));
      await new Promise((r) => setTimeout(r, 10));
      expect(events).toHaveLength(1);
      await send(start());
      await send(body(''));
      await pending;
      events.push(await receive());
    });
    expect(events).toEqual([
      { type: 'http.request', body: new Uint8Array(0), moreBody: false },
      { type: 'http.disconnect' },
      { type: 'http.disconnect' },
    ]);
    expect(cycle.reads).toEqual([]);
  });

  rule('SRV-FLOW-2', 'stops reading while the app does not receive(), resumes when it does', async () => {
    const cycle = new FakeCycle(memoryLogger(), { hasBody: true });
    const got: string[] = [];
    let gate!: () => void;
    const gated = new Promise<void>((r) => {
      gate = r;
    });
    const done = cycle.run(async (_s, receive, send) => {
      const first = await receive();
      got.push(Buffer.from((first as { body: Uint8Array }).body).toString());
      await gated;
      for (;;) {
        const e = await receive();
        if (e.type !== 'http.request') break;
        got.push(Buffer.from(e.body).toString());
        if (!e.moreBody) break;
      }
      await send(start());
      await send(body(got.join('')));
    }, scope());
    expect(cycle.reads).toEqual(['start']);
    cycle.pushBody(text('a'), true); // a receive() is waiting: handed over, no pause
    await new Promise((r) => setTimeout(r, 0));
    cycle.pushBody(text('b'), true); // nobody waits: queued and reading paused
    expect(cycle.reads).toEqual(['start', 'pause']);
    cycle.pushBody(text('c'), false);
    gate();
    await done;
    expect(cycle.reads).toEqual(['start', 'pause', 'resume']);
    expect(got).toEqual(['a', 'b', 'c']);
    expect(cycle.bodyText).toBe('abc');
  });

  rule('SRV-REQ-4', 'a declared body over maxBodySize gets 413 without calling the app', async () => {
    const cycle = new FakeCycle(memoryLogger(), { hasBody: true, maxBodySize: 10 });
    let called = false;
    await cycle.run(
      async () => {
        called = true;
      },
      scope(),
      11,
    );
    expect(called).toBe(false);
    expect(cycle.wire).toEqual([expect.objectContaining({ status: 413, end: true })]);
    const head = cycle.wire[0] as unknown as { headers: [string, string][] };
    expect(head.headers).toContainEqual(['connection', 'close']);
  });

  rule(
    'SRV-REQ-4',
    'a streamed body that grows over maxBodySize gets 413; the app sees a disconnect',
    async () => {
      const cycle = new FakeCycle(memoryLogger(), { hasBody: true, maxBodySize: 4 });
      const events: string[] = [];
      let sendError: unknown;
      const done = cycle.run(async (_s, receive, send) => {
        for (;;) {
          const e = await receive();
          events.push(e.type);
          if (e.type !== 'http.request' || !e.moreBody) break;
        }
        await send(start()).catch((e: unknown) => {
          sendError = e;
        });
      }, scope());
      cycle.pushBody(text('abc'), true);
      await new Promise((r) => setTimeout(r, 0));
      cycle.pushBody(text('def'), true);
      await done;
      expect(events).toEqual(['http.request', 'http.disconnect']);
      expect(cycle.wire).toEqual([expect.objectContaining({ status: 413 })]);
      expect(isPorticoError(sendError, 'ERR_CLIENT_DISCONNECTED')).toBe(true);
    },
  );

  it('a pending receive() resolves to http.disconnect when the client leaves mid-request', async () => {
    const cycle = new FakeCycle(memoryLogger(), { hasBody: true });
    let event: ReceiveEvent | undefined;
    const done = cycle.run(async (_s, receive) => {
      event = await receive();
    }, scope());
    cycle.clientDisconnected();
    await done;
    expect(event).toEqual({ type: 'http.disconnect' });
    expect(cycle.wire).toEqual([]);
  });
});

describe('RequestCycle: access log', () => {
  it('reports one entry per request with status, bytes and request line', async () => {
    const entries: unknown[] = [];
    const cycle = new FakeCycle(memoryLogger(), {}, (e) => entries.push(e));
    await cycle.run(
      async (_s, _r, send) => {
        await send(start(201));
        await send(body('four'));
      },
      scope({
        method: 'POST',
        rawPath: '/a%20b',
        queryString: 'q=1',
        headers: [
          ['referer', 'http://r/'],
          ['user-agent', 'ua/1'],
        ],
      }),
    );
    expect(entries).toEqual([
      expect.objectContaining({
        client: '127.0.0.1',
        method: 'POST',
        target: '/a%20b?q=1',
        httpVersion: '1.1',
        status: 201,
        bytes: 4,
        referer: 'http://r/',
        userAgent: 'ua/1',
      }),
    ]);
  });

  it('an access log callback that throws is logged, not propagated', async () => {
    const logger = memoryLogger();
    const cycle = new FakeCycle(logger, {}, () => {
      throw new Error('disk full');
    });
    await cycle.run(async (_s, _r, send) => {
      await send(start());
      await send(body(''));
    }, scope());
    expect(logger.records.some((r) => r.message === 'access log failed')).toBe(true);
  });
});
