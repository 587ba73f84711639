import { describe, expect, it } from 'vitest';
import type { AsyncApp, ReceiveEvent } from '../src/async-types.js';
import { clientGone, run, sender, validate, violationOf, websocketScope } from './helpers/communicator.js';

const CONNECT: ReceiveEvent = { type: 'websocket.connect' };
const ACCEPT = { type: 'websocket.accept' } as const;
const text = (t: string): ReceiveEvent => ({ type: 'websocket.receive', text: t });
const BYE: ReceiveEvent = { type: 'websocket.disconnect', code: 1000 };

/** Echoes messages until the client disconnects. */
const echo: AsyncApp = async (_s, receive, send) => {
  for (;;) {
    const event = await receive();
    if (event.type === 'websocket.connect') await send({ type: 'websocket.accept', subprotocol: 'chat' });
    else if (event.type === 'websocket.receive') {
      await send(
        event.bytes
          ? { type: 'websocket.send', bytes: event.bytes }
          : { type: 'websocket.send', text: event.text },
      );
    } else return;
  }
};

/** Receives the connect event, then sends `events`. */
function handshake(...events: unknown[]): AsyncApp {
  const inner = sender(...events);
  return async (scope, receive, send) => {
    await receive();
    await inner(scope, receive, send);
  };
}

async function ruleOf(app: AsyncApp, input: ReceiveEvent[] = [CONNECT], scope = websocketScope()) {
  const err = await violationOf(run(validate(app), scope, input));
  return [err.rule, err.side];
}

describe('valid websocket apps pass cleanly', () => {
  it('echo: accept, echo text and bytes, stop at disconnect', async () => {
    const input = [
      CONNECT,
      text('hi'),
      { type: 'websocket.receive', bytes: new Uint8Array([1, 2]) } as ReceiveEvent,
      BYE,
    ];
    const sent = await run(validate(echo), websocketScope(), input);
    expect(sent.map((e) => e.type)).toEqual(['websocket.accept', 'websocket.send', 'websocket.send']);
  });

  it('refusing the handshake with websocket.close', async () => {
    await expect(
      run(validate(handshake({ type: 'websocket.close', code: 4001, reason: 'no' })), websocketScope(), [
        CONNECT,
      ]),
    ).resolves.toHaveLength(1);
  });

  it('accept with headers, then close with a reason', async () => {
    const app = handshake(
      { ...ACCEPT, headers: [['x-server', 'portico']] },
      { type: 'websocket.send', text: 'x', bytes: null },
      { type: 'websocket.close' },
    );
    await expect(run(validate(app), websocketScope(), [CONNECT])).resolves.toHaveLength(3);
  });
});

describe('websocket scope (ASYNC-WS-1, ASYNC-WS-2)', () => {
  it('ASYNC-WS-1: scheme is ws or wss', async () => {
    expect(await ruleOf(echo, [CONNECT, BYE], websocketScope({ scheme: 'http' }))).toEqual([
      'ASYNC-WS-1',
      'server',
    ]);
  });

  it('ASYNC-WS-2: subprotocols is an array of tokens', async () => {
    expect(await ruleOf(echo, [CONNECT, BYE], websocketScope({ subprotocols: 'chat' }))).toEqual([
      'ASYNC-WS-2',
      'server',
    ]);
    expect(await ruleOf(echo, [CONNECT, BYE], websocketScope({ subprotocols: ['a b'] }))).toEqual([
      'ASYNC-WS-2',
      'server',
    ]);
  });
});

describe('websocket events', () => {
  it('ASYNC-WS-3: receive() starts with websocket.connect, once', async () => {
    expect(await ruleOf(echo, [text('hi')])).toEqual(['ASYNC-WS-3', 'server']);
    expect(await ruleOf(echo, [CONNECT, CONNECT])).toEqual(['ASYNC-WS-3', 'server']);
  });

  it('ASYNC-WS-4: accept (or close) before websocket.send; accept once', async () => {
    expect(await ruleOf(handshake({ type: 'websocket.send', text: 'x' }))).toEqual(['ASYNC-WS-4', 'app']);
    expect(await ruleOf(handshake(ACCEPT, ACCEPT))).toEqual(['ASYNC-WS-4', 'app']);
  });

  it('ASYNC-WS-5: the subprotocol is one the client offered; no sec-websocket-protocol header', async () => {
    expect(await ruleOf(handshake({ ...ACCEPT, subprotocol: 'mqtt' }))).toEqual(['ASYNC-WS-5', 'app']);
    expect(await ruleOf(handshake({ ...ACCEPT, headers: [['Sec-WebSocket-Protocol', 'chat']] }))).toEqual([
      'ASYNC-WS-5',
      'app',
    ]);
  });

  it('ASYNC-WS-6: exactly one of bytes and text, app side and server side', async () => {
    for (const bad of [{}, { text: 'a', bytes: new Uint8Array(1) }, { text: 42 }, { bytes: 'abc' }]) {
      expect(await ruleOf(handshake(ACCEPT, { type: 'websocket.send', ...bad }))).toEqual([
        'ASYNC-WS-6',
        'app',
      ]);
      expect(await ruleOf(echo, [CONNECT, { type: 'websocket.receive', ...bad } as ReceiveEvent])).toEqual([
        'ASYNC-WS-6',
        'server',
      ]);
    }
  });

  it('ASYNC-WS-7: nothing after websocket.close', async () => {
    const close = { type: 'websocket.close' };
    expect(await ruleOf(handshake(ACCEPT, close, { type: 'websocket.send', text: 'x' }))).toEqual([
      'ASYNC-WS-7',
      'app',
    ]);
    expect(await ruleOf(handshake(close, ACCEPT))).toEqual(['ASYNC-WS-7', 'app']);
    expect(await ruleOf(handshake(close, close))).toEqual(['ASYNC-WS-7', 'app']);
  });

  it('ASYNC-WS-8: close code and reason an endpoint may send', async () => {
    for (const code of [999, 1005, 1006, 1015, 2000, 5000, 1000.5, '1000']) {
      expect(await ruleOf(handshake({ type: 'websocket.close', code }))).toEqual(['ASYNC-WS-8', 'app']);
    }
    expect(await ruleOf(handshake({ type: 'websocket.close', reason: 'é'.repeat(62) }))).toEqual([
      'ASYNC-WS-8',
      'app',
    ]);
    await expect(
      run(validate(handshake({ type: 'websocket.close', reason: 'é'.repeat(61) })), websocketScope(), [
        CONNECT,
      ]),
    ).resolves.toHaveLength(1);
  });

  it('ASYNC-WS-9: websocket.receive only after the app accepted', async () => {
    const reader: AsyncApp = async (_s, receive) => {
      await receive();
      await receive();
    };
    expect(await ruleOf(reader, [CONNECT, text('early')])).toEqual(['ASYNC-WS-9', 'server']);
  });

  it('ASYNC-WS-10: nothing after websocket.disconnect; its code is an integer', async () => {
    const reader: AsyncApp = async (_s, receive, send) => {
      await receive();
      await send(ACCEPT);
      await receive();
      await receive();
    };
    expect(await ruleOf(reader, [CONNECT, BYE, text('late')])).toEqual(['ASYNC-WS-10', 'server']);
    expect(await ruleOf(echo, [CONNECT, { type: 'websocket.disconnect' } as ReceiveEvent])).toEqual([
      'ASYNC-WS-10',
      'server',
    ]);
  });

  it('ASYNC-WS-11: send() after websocket.disconnect rejects with ERR_CLIENT_DISCONNECTED', async () => {
    const app: AsyncApp = async (_s, receive, send) => {
      await receive();
      await send(ACCEPT);
      await receive();
      await send({ type: 'websocket.send', text: 'anyone?' });
    };
    expect(await ruleOf(app, [CONNECT, BYE])).toEqual(['ASYNC-WS-11', 'server']);
    let n = 0;
    const goneAfterAccept = () => (n++ === 0 ? Promise.resolve() : clientGone());
    await expect(
      run(validate(app), websocketScope(), [CONNECT, BYE], { send: goneAfterAccept }),
    ).rejects.toMatchObject({
      code: 'ERR_CLIENT_DISCONNECTED',
    });
  });

  it('ASYNC-WS-12: the app answers the handshake before resolving', async () => {
    const ignores: AsyncApp = async (_s, receive) => {
      await receive();
    };
    expect(await ruleOf(ignores)).toEqual(['ASYNC-WS-12', 'app']);
    // unless the client left first
    const waits: AsyncApp = async (_s, receive) => {
      await receive();
      await receive();
    };
    await expect(run(validate(waits), websocketScope(), [CONNECT, BYE])).resolves.toEqual([]);
  });

  it('ASYNC-GEN-4 and ASYNC-GEN-6 in a websocket scope', async () => {
    expect(await ruleOf(handshake({ type: 'http.response.start', status: 200 }))).toEqual([
      'ASYNC-GEN-4',
      'app',
    ]);
    expect(
      await ruleOf(echo, [CONNECT, { type: 'http.request', body: new Uint8Array(), moreBody: false }]),
    ).toEqual(['ASYNC-GEN-6', 'server']);
    const denial = websocketScope({ extensions: { 'websocket.http.response': {} } });
    const deny = handshake(
      { type: 'websocket.http.response.start', status: 403, headers: [] },
      { type: 'websocket.http.response.body' },
    );
    await expect(run(validate(deny), denial, [CONNECT])).resolves.toHaveLength(2);
  });
});
