import type { AsyncApp, WebSocketReceiveEventUnion } from '@portico/spec';
import { describe, expect, it } from 'vitest';
import { createClient } from '../src/index.js';

/** Echoes text upper-cased and bytes reversed until the client leaves; records the disconnect. */
function echoSocket(log: WebSocketReceiveEventUnion[]): AsyncApp {
  return async (scope, receive, send) => {
    if (scope.type !== 'websocket') throw new Error('unsupported');
    const connect = (await receive()) as WebSocketReceiveEventUnion;
    log.push(connect);
    await send({ type: 'websocket.accept', subprotocol: scope.subprotocols[0] ?? null });
    for (;;) {
      const e = (await receive()) as WebSocketReceiveEventUnion;
      log.push(e);
      if (e.type === 'websocket.disconnect') return;
      if (e.type !== 'websocket.receive') continue;
      if (e.text === 'bye') {
        await send({ type: 'websocket.close', code: 4000, reason: 'asked' });
        return;
      }
      if (e.text !== undefined && e.text !== null)
        await send({ type: 'websocket.send', text: e.text.toUpperCase() });
      else if (e.bytes) await send({ type: 'websocket.send', bytes: e.bytes.slice().reverse() });
    }
  };
}

describe('websocket', () => {
  it('connects, exchanges text and bytes, and closes from the client', async () => {
    const log: WebSocketReceiveEventUnion[] = [];
    const client = createClient(echoSocket(log));
    const ws = await client.websocket('/chat?room=1', { subprotocols: ['chat.v1', 'chat.v0'] });
    expect(ws.subprotocol).toBe('chat.v1');
    ws.send('hello');
    expect(await ws.receiveText()).toBe('HELLO');
    ws.send(new Uint8Array([1, 2, 3]));
    expect([...(await ws.receiveBytes())]).toEqual([3, 2, 1]);
    ws.sendJson({ a: 1 });
    expect(await ws.receiveJson()).toEqual({ A: 1 });
    await ws.close(1001, 'going away');
    expect(log[0]).toEqual({ type: 'websocket.connect' });
    expect(log.at(-1)).toEqual({ type: 'websocket.disconnect', code: 1001, reason: 'going away' });
  });

  it('builds the websocket scope with the handshake headers', async () => {
    let seen: unknown;
    const app: AsyncApp = async (scope, receive, send) => {
      seen = scope;
      await receive();
      await send({ type: 'websocket.close' });
    };
    await expect(
      createClient(app, { scheme: 'https' }).websocket('/ws', { subprotocols: ['x'] }),
    ).rejects.toMatchObject({
      code: 'ERR_WEBSOCKET_CLOSED',
      value: { code: 1000, reason: '' },
    });
    expect(seen).toMatchObject({ type: 'websocket', scheme: 'wss', path: '/ws', subprotocols: ['x'] });
    const headers = (seen as { headers: [string, string][] }).headers;
    expect(headers.map((h) => h[0])).toEqual([
      'host',
      'connection',
      'upgrade',
      'sec-websocket-key',
      'sec-websocket-version',
      'sec-websocket-protocol',
    ]);
  });

  it('reports the close code when the app closes', async () => {
    const ws = await createClient(echoSocket([])).websocket('/');
    ws.send('bye');
    await expect(ws.receive()).rejects.toMatchObject({
      code: 'ERR_WEBSOCKET_CLOSED',
      value: { code: 4000, reason: 'asked' },
    });
    expect(ws.closeInfo).toEqual({ code: 4000, reason: 'asked' });
  });

  it('raises an app error from receive()', async () => {
    const app: AsyncApp = async (scope, receive, send) => {
      if (scope.type !== 'websocket') return;
      await receive();
      await send({ type: 'websocket.accept' });
      await receive();
      throw new Error('socket boom');
    };
    const ws = await createClient(app).websocket('/');
    ws.send('x');
    await expect(ws.receive()).rejects.toThrow('socket boom');
  });
});
