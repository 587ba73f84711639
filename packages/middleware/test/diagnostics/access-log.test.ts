import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccessLogEntry, formatCombinedLog } from '@portico/server';
import {
  type AsyncApp,
  asyncApp,
  isPorticoError,
  type SyncApp,
  syncApp,
  validateAsync,
  validateSync,
} from '@portico/spec';
import { createClient } from '@portico/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { accessLog } from '../../src/diagnostics/index.js';
import { failingAsync, failingSync } from './apps.js';

/** Combined Log Format, parsed back: `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`. */
const COMBINED =
  /^(\S+) - - \[(\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$/;

function parse(line: string | undefined) {
  const m = COMBINED.exec(line ?? '');
  if (m === null) throw new Error(`not a Combined Log Format line: ${line}`);
  return { client: m[1], request: m[3], status: Number(m[4]), bytes: m[5], referer: m[6], agent: m[7] };
}

for (const [label, leaf] of [
  ['async', () => validateAsync(failingAsync)],
  ['sync', () => validateSync(failingSync)],
] as const) {
  describe(`accessLog() on an ${label} app`, () => {
    const lines: string[] = [];
    const client = createClient(validateAsync(accessLog({ write: (l) => lines.push(l) })(leaf())));

    it('writes one Combined Log Format line per request', async () => {
      lines.length = 0;
      await client.get('/ok?a=1', { headers: { referer: 'http://x/"q"', 'user-agent': 'curl/8.0' } });
      expect(lines).toHaveLength(1);
      expect(parse(lines[0])).toEqual({
        client: '127.0.0.1',
        request: 'GET /ok?a=1 HTTP/1.1',
        status: 200,
        bytes: '2',
        referer: 'http://x/\\"q\\"',
        agent: 'curl/8.0',
      });
    });

    it('logs 500 and rethrows when the app fails before its response', async () => {
      lines.length = 0;
      await expect(client.get('/plain')).rejects.toThrow('secret');
      expect(parse(lines[0])).toMatchObject({ status: 500, bytes: '-', request: 'GET /plain HTTP/1.1' });
    });

    it('logs the status sent and the bytes so far when the app fails mid-body', async () => {
      lines.length = 0;
      await expect(client.get('/after-start')).rejects.toThrow('failed mid-body');
      expect(parse(lines[0])).toMatchObject({ status: 200, bytes: '4' });
    });
  });
}

describe('accessLog() and the client leaving', () => {
  it('logs 499 when the client leaves before any status (async app)', async () => {
    const lines: string[] = [];
    const waits: AsyncApp = validateAsync(async function waitsApp(scope, receive, send) {
      if (scope.type !== 'http') return;
      await receive();
      const e = await receive(); // resolves when the client leaves
      expect(e.type).toBe('http.disconnect');
      await send({ type: 'http.response.start', status: 200, headers: [] });
    });
    const client = createClient(accessLog({ write: (l) => lines.push(l) })(waits));
    const abort = new AbortController();
    const pending = client.get('/slow', { signal: abort.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 10));
    abort.abort(new Error('test left'));
    await pending;
    await waitFor(() => lines.length === 1);
    expect(parse(lines[0])).toMatchObject({ status: 499, bytes: '-', request: 'GET /slow HTTP/1.1' });
  });

  it('logs the status and bytes sent when the client leaves mid-body (sync app)', async () => {
    const lines: string[] = [];
    const endless: SyncApp = syncApp(function endlessApp(_environ, startResponse) {
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      return (function* chunks() {
        for (;;) yield new TextEncoder().encode('tick\n');
      })();
    });
    const client = createClient(accessLog({ write: (l) => lines.push(l) })(validateSync(endless)));
    const res = await client.stream('GET', '/events');
    for await (const _chunk of res) break; // takes one chunk, then leaves
    await res.finished.catch((e: unknown) => {
      if (!isPorticoError(e, 'ERR_CLIENT_DISCONNECTED')) throw e;
    });
    await waitFor(() => lines.length === 1);
    const entry = parse(lines[0]);
    expect(entry.status).toBe(200);
    expect(Number(entry.bytes) % 5).toBe(0);
    expect(Number(entry.bytes)).toBeGreaterThanOrEqual(5);
  });
});

describe('accessLog() formats and options', () => {
  it('gives custom formats the entry with the response time in ms', async () => {
    const entries: AccessLogEntry[] = [];
    const app = accessLog({
      write: () => {},
      format: (entry, scope) => {
        entries.push(entry);
        return `${scope.method} ${entry.status} ${entry.durationMs}ms`;
      },
    })(validateAsync(failingAsync));
    const lines: string[] = [];
    const app2 = accessLog({ write: (l) => lines.push(l), format: (e) => `${e.status} ${e.durationMs}` })(
      validateAsync(failingAsync),
    );
    await createClient(app).get('/ok');
    await createClient(app2).get('/ok');
    expect(entries[0]?.status).toBe(200);
    expect(entries[0]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(lines[0]).toMatch(/^200 \d+$/);
    expect(formatCombinedLog(entries[0] as AccessLogEntry)).toMatch(COMBINED);
  });

  it('refuses bad options', () => {
    for (const bad of [{ write: 'stdout' }, { format: 'common' }]) {
      expect(() => accessLog(bad as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    }
  });
});

async function waitFor(test: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !test(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe('accessLog() and http.response.pathsend', () => {
  // Found by test/fuzz/http.test.ts: a static file sent with pathsend was logged with "-" bytes.
  const dir = mkdtempSync(join(tmpdir(), 'portico-access-log-'));
  const file = join(dir, 'file.txt');
  writeFileSync(file, 'twelve bytes');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const lines: string[] = [];
  const fileApp = (withLength: boolean): AsyncApp =>
    validateAsync(
      asyncApp(async function pathsendApp(scope, _receive, send) {
        if (scope.type !== 'http') return;
        const headers: [string, string][] = withLength ? [['Content-Length', '12']] : [];
        await send({ type: 'http.response.start', status: 200, headers });
        await send({ type: 'http.response.pathsend', path: file });
      }),
    );
  const options = { extensions: { 'http.response.pathsend': {} } };

  it('counts the content-length of the file the server sends', async () => {
    lines.length = 0;
    await createClient(accessLog({ write: (l) => lines.push(l) })(fileApp(true)), options).get('/f');
    expect(parse(lines[0])).toMatchObject({ status: 200, bytes: '12' });
  });

  it('counts the size of the file when the response has no content-length', async () => {
    lines.length = 0;
    await createClient(accessLog({ write: (l) => lines.push(l) })(fileApp(false)), options).get('/f');
    expect(parse(lines[0])).toMatchObject({ status: 200, bytes: '12' });
  });
});
