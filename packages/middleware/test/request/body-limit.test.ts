import { request } from 'node:http';
import { type HTTPServer, serve } from '@portico/http';
import { type AsyncApp, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { bodyLimit } from '../../src/request/index.js';
import { thrownCode } from '../helpers/errors.js';
import { LEAVES, type Seen } from './apps.js';

const MiB = 1024 * 1024;

async function* chunks(count: number, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) yield new Uint8Array(size).fill(0x61);
}

for (const [label, leaf] of LEAVES) {
  describe(`bodyLimit() on an ${label} app`, () => {
    const client = createClient(bodyLimit({ limit: 100 })(leaf));

    it('passes a body within the limit through, byte for byte', async () => {
      const body = 'x'.repeat(100);
      const res = await client.post('/', { body });
      expect(res.status).toBe(200);
      expect((res.json() as Seen).body).toBe(body);
      const chunked = await client.post('/', { body: chunks(4, 25) });
      expect((chunked.json() as Seen).body).toBe('a'.repeat(100));
    });

    it('answers 413 at once for a declared content-length over the limit', async () => {
      const res = await client.post('/', { body: 'x'.repeat(101) });
      expect(res.status).toBe(413);
      expect(res.header('connection')).toBe('close');
      expect(res.header('content-type')).toBe('text/plain; charset=utf-8');
      expect(res.text()).toBe('Content Too Large');
    });

    it('answers 413 for a chunked body that passes the limit while read', async () => {
      const res = await client.post('/', { body: chunks(10, 30) });
      expect(res.status).toBe(413);
      expect(res.header('connection')).toBe('close');
    });
  });
}

describe('bodyLimit() reading', () => {
  it('does not call the app, nor receive, for a declared length over the limit', async () => {
    let called = false;
    let reads = 0;
    const app = bodyLimit({ limit: 10 })(
      validateAsync(async function neverApp() {
        called = true;
      }),
    );
    const counted: AsyncApp = (scope, receive, send) =>
      app(
        scope,
        () => {
          reads++;
          return receive();
        },
        send,
      );
    const res = await createClient(counted).post('/', { body: 'x'.repeat(11) });
    expect([res.status, called, reads]).toEqual([413, false, 0]);
  });

  it('stops reading at the limit: later receive() calls reject too, the app may answer itself', async () => {
    const codes: string[] = [];
    let delivered = 0;
    const app = bodyLimit({ limit: 50 })(
      validateAsync(async function catchingApp(scope, receive, send) {
        if (scope.type !== 'http') return;
        for (let i = 0; i < 3; i++) {
          try {
            const e = await receive();
            if (e.type === 'http.request') delivered += e.body.byteLength;
          } catch (error) {
            codes.push(`${(error as { code: string }).code}/${(error as { status: number }).status}`);
          }
        }
        await send({ type: 'http.response.start', status: 422, headers: [] });
        await send({ type: 'http.response.body', body: new Uint8Array(0) });
      }),
    );
    const res = await createClient(app).post('/', { body: chunks(5, 30) });
    expect(res.status).toBe(422);
    expect(delivered).toBe(30);
    expect(codes).toEqual(['ERR_BODY_TOO_LARGE/413', 'ERR_BODY_TOO_LARGE/413']);
  });

  it('passes the error on when the response had started', async () => {
    const app = bodyLimit({ limit: 5 })(
      validateAsync(async function lateApp(scope, receive, send) {
        if (scope.type !== 'http') return;
        await send({ type: 'http.response.start', status: 200, headers: [] });
        await receive();
        await receive();
      }),
    );
    await expect(createClient(app).post('/', { body: chunks(3, 4) })).rejects.toMatchObject({
      code: 'ERR_BODY_TOO_LARGE',
    });
  });

  it('refuses a bad limit when built', () => {
    for (const limit of [-1, 1.5, Number.NaN, '10' as unknown as number]) {
      expect(thrownCode(() => bodyLimit({ limit }))).toBe('ERR_INVALID_OPTION');
    }
  });
});

interface Wire {
  status: number;
  body: string;
}

/** POSTs `total` bytes in 64 KiB writes; resolves with the response, even when the server closes early. */
function postBig(base: string, total: number, chunked: boolean): Promise<Wire> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: '/',
        method: 'POST',
        agent: false,
        headers: chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(total) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (error) => reject(error));
    const piece = Buffer.alloc(64 * 1024, 0x62);
    let sent = 0;
    const write = (): void => {
      while (sent < total) {
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

describe('bodyLimit() over @portico/http: a 10 MB body to a 1 MB limit', () => {
  let delivered = 0;
  let reads = 0;
  let appCalls = 0;
  const limited = bodyLimit({ limit: MiB })(
    validateAsync(async function readAllApp(scope, receive, send) {
      if (scope.type !== 'http') return;
      appCalls++;
      for (;;) {
        const e = await receive();
        if (e.type !== 'http.request' || !e.moreBody) break;
      }
      await send({ type: 'http.response.start', status: 200, headers: [] });
      await send({ type: 'http.response.body', body: new Uint8Array(0) });
    }),
  );
  /** Counts the bytes the server's receive delivered (outside the middleware). */
  const counting: AsyncApp = async function countingApp(scope, receive, send) {
    return limited(
      scope,
      async () => {
        reads++;
        const e = await receive();
        if (e.type === 'http.request') delivered += e.body.byteLength;
        return e;
      },
      send,
    );
  };

  async function withServer(fn: (base: string) => Promise<void>): Promise<void> {
    const server: HTTPServer = await serve(validateAsync(counting), {
      bind: ['127.0.0.1:0'],
      lifespan: 'off',
    });
    try {
      await fn(server.addresses[0] as string);
    } finally {
      await server.close();
    }
  }

  it('with content-length: 413 before the app runs, no body byte read', async () => {
    delivered = 0;
    reads = 0;
    appCalls = 0;
    await withServer(async (base) => {
      const res = await postBig(base, 10 * MiB, false);
      expect(res.status).toBe(413);
      expect(res.body).toBe('Content Too Large');
    });
    expect([appCalls, reads, delivered]).toEqual([0, 0, 0]);
  });

  it('chunked: 413 once the limit is passed, the rest not read', async () => {
    delivered = 0;
    reads = 0;
    appCalls = 0;
    await withServer(async (base) => {
      const res = await postBig(base, 10 * MiB, true);
      expect(res.status).toBe(413);
    });
    expect(appCalls).toBe(1);
    expect(delivered).toBeGreaterThan(MiB);
    expect(delivered).toBeLessThan(2 * MiB); // the limit plus at most one server chunk
  });
});
