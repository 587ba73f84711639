/**
 * @portico/scgi on the wire, its limits: bad heads (SRV-SCGI-1/2) answered 400 or 431 with the
 * connection closed and the reason logged, the timeouts (SRV-LIMIT-2), graceful shutdown
 * (SRV-STOP-2) and the unix socket. The apps run under the validator; every test ends with no
 * violation reported.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seen, testApp } from '../../../packages/server/test/adapter-apps.js';
import { rule } from '../../../packages/server/test/rule.js';
import { serveForFile } from '../../../packages/server/test/served-for-file.js';
import { scgiRequest } from '../src/client.js';
import { serve } from '../src/index.js';
import {
  getFrom,
  headersOf,
  headOf,
  netstring,
  pairs,
  RawConnection,
  scopeOf,
  sleep,
  start,
} from './helpers.js';

const running = serveForFile(() => start(testApp), { checkViolations: true });

const get = getFrom(running);

describe('bad heads: answered, the connection closed, the reason logged, the server serves on', () => {
  const ok = pairs(['CONTENT_LENGTH', '0'], ['SCGI', '1'], ['REQUEST_URI', '/x']);
  const badComma = netstring(ok);
  badComma[badComma.length - 1] = 0x3b;
  const cases: [string, string, Buffer, 400 | 431, RegExp][] = [
    [
      'SRV-SCGI-1',
      'a netstring length with a leading zero',
      Buffer.concat([Buffer.from('0'), netstring(ok)]),
      400,
      /leading zero/,
    ],
    [
      'SRV-SCGI-1',
      'a length with more digits than maxHeaderSize has',
      Buffer.from('123456'),
      431,
      /more than 5 digits/,
    ],
    [
      'SRV-SCGI-1',
      'a length over maxHeaderSize (the block not awaited)',
      Buffer.from('16385:'),
      431,
      /over maxHeaderSize/,
    ],
    ['SRV-SCGI-1', 'a length not followed by ":"', Buffer.from(`12;${ok}`), 400, /not followed by ":"/],
    [
      'SRV-SCGI-1',
      'a request that does not start with a length',
      Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      400,
      /does not start with a netstring length/,
    ],
    ['SRV-SCGI-1', 'a netstring not ended by ","', badComma, 400, /not ended by ","/],
    ['SRV-SCGI-1', 'a name not terminated by NUL', netstring(`${ok}NAME`), 400, /name not terminated by NUL/],
    [
      'SRV-SCGI-2',
      'CONTENT_LENGTH not first',
      netstring(pairs(['SCGI', '1'], ['CONTENT_LENGTH', '0'])),
      400,
      /not CONTENT_LENGTH/,
    ],
    [
      'SRV-SCGI-2',
      'CONTENT_LENGTH not a number',
      netstring(pairs(['CONTENT_LENGTH', '12a'], ['SCGI', '1'])),
      400,
      /is not a number/,
    ],
    [
      'SRV-SCGI-2',
      'an SCGI header other than 1',
      netstring(pairs(['CONTENT_LENGTH', '0'], ['SCGI', '2'])),
      400,
      /SCGI header is "2"/,
    ],
  ];
  for (const [id, what, bytes, status, reason] of cases) {
    rule(id, `${what}: ${status}, closed, logged`, async () => {
      const before = running.logger.records.length;
      const conn = await RawConnection.open(running.port);
      conn.send(bytes);
      const res = await conn.response();
      expect(res.status).toBe(status);
      expect(res.raw.toString('latin1')).toMatch(new RegExp(`^Status: ${status} `));
      expect(conn.ended).toBe(true);
      const logged = running.logger.records.slice(before).filter((r) => r.level === 'warn');
      expect(logged.map((r) => r.message)).toEqual([expect.stringMatching(reason)]);
      expect(logged[0]!.message).toMatch(new RegExp(`: ${status}$`));
      expect((await get('/next')).status).toBe(200);
    });
  }

  it('a peer that closes before the head is complete is logged; the server serves on', async () => {
    const conn = await RawConnection.open(running.port);
    conn.send(headOf('GET', '/x', 0).subarray(0, 20));
    await sleep(20);
    conn.socket.end();
    await conn.closed;
    expect(conn.received.length).toBe(0);
    await expect
      .poll(() => running.logger.records.some((r) => /closed before a complete SCGI head/.test(r.message)))
      .toBe(true);
    expect((await get('/next')).status).toBe(200);
  });
});

describe('timeouts and shutdown', () => {
  rule('SRV-LIMIT-2', 'a head not complete within headersTimeout: 408, closed, logged', async () => {
    const strict = await start(testApp, { headersTimeout: 200 });
    const conn = await RawConnection.open(strict.port);
    conn.send(headOf('GET', '/slow-head', 0).subarray(0, 25));
    const started = Date.now();
    const res = await conn.response();
    expect(res.status).toBe(408);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(
      strict.logger.records.some((r) => r.fields?.rule === 'SRV-LIMIT-2' && /headersTimeout/.test(r.message)),
    ).toBe(true);
    await strict.server.close();
  });

  rule(
    'SRV-LIMIT-2',
    'a body not complete within requestTimeout: 408, the app sees the client gone',
    async () => {
      const strict = await start(testApp, { headersTimeout: 200, requestTimeout: 300 });
      const before = seen.filter((s) => s.path === '/wait-disconnect').length;
      const conn = await RawConnection.open(strict.port);
      conn.send(Buffer.concat([headOf('POST', '/wait-disconnect', 100), Buffer.from('some')]));
      const res = await conn.response();
      expect(res.status).toBe(408);
      await expect.poll(() => seen.filter((s) => s.path === '/wait-disconnect').length).toBe(before + 1);
      await strict.server.close();
      expect(strict.violations).toEqual([]);
    },
  );

  rule(
    'SRV-STOP-2',
    'graceful shutdown: the request in flight finishes, new connections are refused',
    async () => {
      const closing = await start(testApp);
      const inFlight = await RawConnection.open(closing.port);
      inFlight.send(headOf('GET', '/stream', 0));
      // The response began: the request is in flight.
      await expect.poll(() => inFlight.received.includes('part 0')).toBe(true);
      const closed = closing.server.close();
      await expect(
        scgiRequest({ port: closing.port }, { headers: headersOf('GET', '/late') }),
      ).rejects.toThrow(/ECONNREFUSED/);
      expect((await inFlight.response()).body.toString()).toBe('part 0\npart 1\npart 2\nend\n');
      await closed;
      expect(closing.violations).toEqual([]);
    },
  );

  it('shutdown closes a connection still reading its head at once', async () => {
    const closing = await start(testApp);
    const conn = await RawConnection.open(closing.port);
    conn.send(Buffer.from('40:CONTENT'));
    await sleep(20);
    const started = Date.now();
    await closing.server.close();
    await conn.closed;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(conn.received.length).toBe(0);
  });
});

it('a unix socket gets socketMode, so a front end running as another user can connect', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portico-scgi-'));
  const path = join(dir, 'app.sock');
  const server = await serve(testApp, { bind: [`unix:${path}`], lifespan: 'off', socketMode: 0o666 });
  try {
    expect(server.addresses).toEqual([`unix:${path}`]);
    expect(statSync(path).mode & 0o777).toBe(0o666);
    const res = await scgiRequest(
      { path },
      { headers: headersOf('POST', '/over-unix'), body: Buffer.from('u') },
    );
    expect(scopeOf(res)).toMatchObject({ path: '/over-unix', body: 'u' });
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
