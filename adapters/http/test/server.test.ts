import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AsyncApp, LifespanScope } from '@portico/spec';
import { isPorticoError, validateAsync } from '@portico/spec';
import { afterAll, describe, expect, it } from 'vitest';
import { rule } from '../../../packages/server/test/rule.js';
import { serve } from '../src/index.js';
import { exchange, header, memoryLogger, RawClient, sleep, start } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'portico-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lifespanApp(events: string[], http: AsyncApp, startup?: () => Promise<void>): AsyncApp {
  return async (scope, receive, send) => {
    if (scope.type === 'lifespan') {
      for (;;) {
        const e = await receive();
        events.push(e.type);
        if (e.type === 'lifespan.startup') {
          await startup?.();
          (scope as LifespanScope).state.ready = true;
          await send({ type: 'lifespan.startup.complete' });
        } else {
          await send({ type: 'lifespan.shutdown.complete' });
          return;
        }
      }
    }
    return http(scope, receive, send);
  };
}

const hello: AsyncApp = async (scope, _receive, send) => {
  if (scope.type !== 'http') throw new Error('unsupported');
  await send({ type: 'http.response.start', status: 200 });
  await send({ type: 'http.response.body', body: Buffer.from('hi') });
};

describe('serve() and lifespan', () => {
  rule('SRV-LIFE-1', 'listens only after lifespan.startup.complete', async () => {
    const path = join(dir, 'life1.sock');
    let releaseStartup!: () => void;
    const startupGate = new Promise<void>((r) => {
      releaseStartup = r;
    });
    const events: string[] = [];
    const serving = serve(validateAsync(lifespanApp(events, hello, () => startupGate)), {
      bind: [`unix:${path}`],
    });
    await sleep(100);
    expect(events).toEqual(['lifespan.startup']);
    expect(existsSync(path)).toBe(false); // nothing listens yet
    releaseStartup();
    const server = await serving;
    expect(existsSync(path)).toBe(true);
    await server.close();
    expect(events).toEqual(['lifespan.startup', 'lifespan.shutdown']);
  });

  rule(
    'SRV-LIFE-2',
    'a failed startup rejects serve() with ERR_LIFESPAN and the app message; nothing listens',
    async () => {
      const path = join(dir, 'life2.sock');
      const app: AsyncApp = async (scope, receive, send) => {
        if (scope.type !== 'lifespan') throw new Error('unsupported');
        await receive();
        await send({ type: 'lifespan.startup.failed', message: 'database unreachable' });
      };
      let error: unknown;
      try {
        await serve(app, { bind: [`unix:${path}`] });
      } catch (err) {
        error = err;
      }
      expect(isPorticoError(error, 'ERR_LIFESPAN')).toBe(true);
      expect((error as Error).message).toBe('database unreachable');
      expect(existsSync(path)).toBe(false);
    },
  );

  rule('SRV-LIFE-3', 'an app without lifespan support is served in auto mode', async () => {
    const logger = memoryLogger();
    const server = await serve(hello, { bind: ['127.0.0.1:0'], logger });
    try {
      const res = await exchange(
        Number(new URL(server.addresses[0]!).port),
        'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
      );
      expect(res.body).toBe('hi');
      expect(
        logger.records.some((r) => r.level === 'debug' && r.message.includes('lifespan not supported')),
      ).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('rejects invalid options with ERR_INVALID_OPTION before doing anything', async () => {
    for (const options of [
      { bind: ['nope:port'] },
      { bind: [] },
      { rootPath: 'app' },
      { maxBodySize: -1 },
      { lifespan: 'sometimes' },
      { accessLog: 'yes' },
      { logger: {} },
    ]) {
      let error: unknown;
      try {
        await serve(hello, options as never);
      } catch (err) {
        error = err;
      }
      expect(isPorticoError(error, 'ERR_INVALID_OPTION'), JSON.stringify(options)).toBe(true);
    }
  });

  it('rejects with the listen error when the port is taken, after shutting lifespan down', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const events: string[] = [];
    let error: unknown;
    try {
      await serve(lifespanApp(events, hello), { bind: [`127.0.0.1:${port}`] });
    } catch (err) {
      error = err;
    }
    blocker.close();
    expect((error as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    expect(events).toEqual(['lifespan.startup', 'lifespan.shutdown']);
  });

  it('listens on several binds and reports each address', async () => {
    const path = join(dir, 'multi.sock');
    const server = await serve(hello, { bind: ['127.0.0.1:0', `unix:${path}`], lifespan: 'off' });
    try {
      expect(server.addresses[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.addresses[1]).toBe(`unix:${path}`);
      const client = new RawClient(0, path);
      await client.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      expect((await client.response()).body).toBe('hi');
      client.close();
    } finally {
      await server.close();
    }
    expect(existsSync(path)).toBe(false);
  });

  it('removes a stale unix socket file left by a dead server', async () => {
    const path = join(dir, 'stale.sock');
    // a server killed with SIGKILL leaves its socket file behind
    spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    expect(existsSync(path)).toBe(true);
    const server = await serve(hello, { bind: [`unix:${path}`], lifespan: 'off' });
    await server.close();
  });

  it('refuses to take over a unix socket another server is listening on', async () => {
    const path = join(dir, 'live.sock');
    const other = createServer();
    await new Promise<void>((r) => other.listen(path, r));
    let error: unknown;
    try {
      await serve(hello, { bind: [`unix:${path}`], lifespan: 'off' });
    } catch (err) {
      error = err;
    }
    expect((error as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    await new Promise((r) => other.close(r));
  });

  it('listens on IPv6 and reports the address in brackets', async () => {
    const server = await serve(hello, { bind: ['[::1]:0'], lifespan: 'off' });
    try {
      expect(server.addresses[0]).toMatch(/^http:\/\/\[::1\]:\d+$/);
    } finally {
      await server.close();
    }
  });

  it('closes connections over maxConnections', async () => {
    const { server, port } = await start(hello, { maxConnections: 1 });
    try {
      const first = new RawClient(port);
      await first.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      expect((await first.response()).body).toBe('hi');
      const second = new RawClient(port);
      await second.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n').catch(() => {});
      await second.waitClosed();
      expect(second.data).toBe('');
      first.close();
    } finally {
      await server.close();
    }
  });

  it('writes an access log entry per request', async () => {
    const entries: unknown[] = [];
    const { server, port } = await start(hello, { accessLog: (e) => entries.push(e) });
    await exchange(port, 'GET /logged?q=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: test/1\r\n\r\n');
    await server.close();
    expect(entries).toEqual([
      expect.objectContaining({
        method: 'GET',
        target: '/logged?q=1',
        status: 200,
        bytes: 2,
        userAgent: 'test/1',
      }),
    ]);
  });
});

describe('graceful shutdown', () => {
  rule('SRV-STOP-1', 'stops accepting connections at once', async () => {
    const { server, port } = await start(hello);
    const closing = server.close();
    const client = new RawClient(port);
    const error = await new Promise((resolve) => {
      client.socket.once('error', resolve);
      client.socket.once('connect', () => resolve(null));
    });
    expect((error as NodeJS.ErrnoException | null)?.code).toBe('ECONNREFUSED');
    await closing;
  });

  rule('SRV-STOP-3', 'closes idle keep-alive connections at once', async () => {
    const { server, port } = await start(hello, { keepAliveTimeout: 60_000 });
    const client = new RawClient(port);
    await client.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await client.response();
    const t0 = Date.now();
    await server.close();
    await client.waitClosed(2000);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  rule(
    ['SRV-STOP-2', 'SRV-STOP-3', 'SRV-LIFE-4'],
    'in-flight requests finish with connection: close, then lifespan shuts down',
    async () => {
      const events: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let started!: () => void;
      const inHandler = new Promise<void>((r) => {
        started = r;
      });
      const app = lifespanApp(events, async (scope, _receive, send) => {
        if (scope.type !== 'http') throw new Error('unsupported');
        started();
        await gate;
        events.push('response');
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: Buffer.from('late') });
      });
      const { server, port } = await start(validateAsync(app), { lifespan: 'on' });
      const client = new RawClient(port);
      await client.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      await inHandler;
      let closed = false;
      const closing = server.close().then(() => {
        closed = true;
      });
      await sleep(100);
      expect(closed).toBe(false);
      expect(events).toEqual(['lifespan.startup']);
      release();
      const res = await client.response();
      expect(res.body).toBe('late');
      expect(header(res, 'connection')).toBe('close');
      await closing;
      expect(events).toEqual(['lifespan.startup', 'response', 'lifespan.shutdown']);
      await client.waitClosed();
    },
  );

  rule(
    'SRV-STOP-3',
    'a keep-alive response that started before close() still ends its connection',
    async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const { server, port } = await start(async (scope, _receive, send) => {
        if (scope.type !== 'http') throw new Error('unsupported');
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: Buffer.from('a'), moreBody: true });
        await gate;
        await send({ type: 'http.response.body', body: Buffer.from('b') });
      });
      const client = new RawClient(port);
      await client.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      await client.until(() => client.data.includes('\r\n\r\n'));
      expect(client.data).toContain('Connection: keep-alive');
      const closing = server.close();
      await sleep(50);
      release();
      const res = await client.response();
      expect(res.body).toBe('ab');
      await client.waitClosed();
      await closing;
    },
  );

  rule(
    'SRV-STOP-2',
    'after shutdownTimeout the remaining connections are closed and the app sees the disconnect',
    async () => {
      let sendError: unknown;
      let appDone!: () => void;
      const done = new Promise<void>((r) => {
        appDone = r;
      });
      const { server, port, logger } = await start(
        async (scope, receive, send) => {
          if (scope.type !== 'http') throw new Error('unsupported');
          try {
            await receive();
            await receive(); // waits until the client goes away
            await send({ type: 'http.response.start', status: 200 });
          } catch (err) {
            sendError = err;
          } finally {
            appDone();
          }
        },
        { shutdownTimeout: 200 },
      );
      const client = new RawClient(port);
      await client.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      await sleep(50);
      const t0 = Date.now();
      await server.close();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
      expect(Date.now() - t0).toBeLessThan(2000);
      await done;
      expect(isPorticoError(sendError, 'ERR_CLIENT_DISCONNECTED')).toBe(true);
      expect(logger.records.some((r) => r.level === 'warn' && r.message.includes('shutdownTimeout'))).toBe(
        true,
      );
      await client.waitClosed();
    },
  );

  it('close() is idempotent', async () => {
    const { server } = await start(hello);
    const a = server.close();
    const b = server.close();
    expect(a).toBe(b);
    await a;
  });
});
