import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AccessLogEntry, Logger } from '@portico/server';
import { afterAll, describe, expect, it } from 'vitest';
import { createAccessLogSink, openAccessLog } from '../src/access-log.js';

const scratch = mkdtempSync(join(tmpdir(), 'portico-access-log-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ENTRY: AccessLogEntry = {
  client: '10.0.0.1',
  method: 'GET',
  target: '/a?b=1',
  httpVersion: '1.1',
  status: 200,
  bytes: 14,
  referer: null,
  userAgent: 'test',
  time: new Date(),
  durationMs: 1,
};

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${message}${fields === undefined ? '' : ` ${JSON.stringify(fields)}`}`);
  };
  return { lines, debug: push, info: push, warn: push, error: push };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('openAccessLog', () => {
  it('returns null for off', async () => {
    expect(await openAccessLog('off', recordingLogger())).toBeNull();
  });

  it('appends Combined Log Format lines to a file and keeps what was there', async () => {
    const file = join(scratch, 'append.log');
    writeFileSync(file, 'old\n');
    const sink = await openAccessLog(file, recordingLogger());
    sink!.log(ENTRY);
    sink!.log({ ...ENTRY, status: 404, bytes: 0 });
    await sink!.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toBe('old');
    expect(lines[1]).toMatch(/^10\.0\.0\.1 - - \[.*\] "GET \/a\?b=1 HTTP\/1\.1" 200 14 "-" "test"$/);
    expect(lines[2]).toMatch(/" 404 - "-" "test"$/);
    expect(lines).toHaveLength(4);
  });

  it('refuses a file it cannot open, naming it', async () => {
    await expect(
      openAccessLog(join(scratch, 'missing-dir', 'x.log'), recordingLogger()),
    ).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      message: expect.stringMatching(/^option --access-log: cannot open .*missing-dir.*: ENOENT$/),
    });
  });
});

describe('createAccessLogSink', () => {
  it('batches the lines of one event-loop turn into one write', async () => {
    const writes: string[] = [];
    const out = new Writable({
      write(chunk, _enc, done) {
        writes.push(String(chunk));
        done();
      },
    });
    const sink = createAccessLogSink(out, false, recordingLogger());
    sink.log(ENTRY);
    sink.log(ENTRY);
    sink.log(ENTRY);
    expect(writes).toHaveLength(0);
    await tick();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.split('\n')).toHaveLength(4);
  });

  it('logs a write error once and stops, without crashing', async () => {
    const logger = recordingLogger();
    let calls = 0;
    const out = new Writable({
      write(_chunk, _enc, done) {
        calls++;
        done(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
      },
    });
    const sink = createAccessLogSink(out, true, logger);
    sink.log(ENTRY);
    await tick();
    await tick();
    sink.log(ENTRY);
    await tick();
    await sink.close();
    expect(calls).toBe(1);
    expect(logger.lines).toEqual(['access log disabled after a write error {"error":"ENOSPC"}']);
  });

  it('drops lines instead of buffering without bound when the destination stalls', async () => {
    const logger = recordingLogger();
    const stalled: Array<() => void> = [];
    const out = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, done) {
        stalled.push(done); // never completes until released
      },
    });
    const sink = createAccessLogSink(out, false, logger);
    const big = { ...ENTRY, target: `/${'x'.repeat(64 * 1024)}` };
    for (let i = 0; i < 300; i++) sink.log(big); // about 19 MiB, written in 64 KiB batches
    await tick();
    expect(out.writableLength).toBeLessThan(17 * 1024 * 1024);
    expect(logger.lines).toContain('access log destination is stalled: dropping lines');
    for (const done of stalled.splice(0)) done();
  });
});
