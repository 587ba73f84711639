import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileInput } from '../src/bridge/file-input.js';
import { MemoryInput } from '../src/bridge/input.js';
import { syncToAsync } from '../src/bridge/sync-to-async.js';
import { isPorticoError } from '../src/errors.js';
import type { SyncApp } from '../src/sync-types.js';
import { openFds } from './fixtures/sync-bodies.js';
import { bodyOf, dec, enc, httpScope, requestEvents, run } from './fixtures/transcript.js';

const tmp = mkdtempSync(join(tmpdir(), 'portico-bridge-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh empty directory for spilled bodies. */
function spoolDir(): string {
  return mkdtempSync(join(tmp, 'spool-'));
}

describe('syncToAsync: spilling the request body', () => {
  const threshold = 10;
  const cases: Array<[number, boolean]> = [
    [threshold - 1, false],
    [threshold, false],
    [threshold + 1, true],
  ];

  for (const split of [false, true]) {
    it.each(cases)(
      `a body of %i bytes ${split ? 'in 3 events' : 'in one event'}: spilled %s`,
      async (size, spilled) => {
        const dir = spoolDir();
        const body = enc(`${'x'.repeat(size - 1)}\n`);
        const chunks = split ? [body.subarray(0, 3), body.subarray(3, 5), body.subarray(5)] : [body];
        let input: unknown;
        let namesDuringApp: string[] = [];
        const app: SyncApp = (environ, startResponse) => {
          input = environ['portico.input'];
          namesDuringApp = readdirSync(dir);
          const lines = environ['portico.input'].readlines();
          startResponse('200 OK', []);
          return lines;
        };
        const before = openFds();
        const t = await run(syncToAsync(app, { spoolThreshold: threshold, tmpdir: dir }), httpScope(), {
          events: requestEvents(chunks),
        });
        expect(t.failed).toBe(false);
        expect(bodyOf(t)).toBe(dec(body));
        expect(input).toBeInstanceOf(spilled ? FileInput : MemoryInput);
        if (process.platform !== 'win32') expect(namesDuringApp).toEqual([]); // unlinked at once
        expect(readdirSync(dir)).toEqual([]);
        expect(openFds()).toBe(before);
      },
    );
  }

  it('removes the temp file when the app throws', async () => {
    const dir = spoolDir();
    let input: unknown;
    const app: SyncApp = (environ) => {
      input = environ['portico.input'];
      environ['portico.input'].read(3);
      throw new Error('app failed');
    };
    const before = openFds();
    const t = await run(syncToAsync(app, { spoolThreshold: 0, tmpdir: dir }), httpScope(), {
      events: requestEvents([enc('abc'), enc('def')]),
    });
    expect((t.error as Error).message).toBe('app failed');
    expect(input).toBeInstanceOf(FileInput);
    expect(readdirSync(dir)).toEqual([]);
    expect(openFds()).toBe(before);
  });

  it('does not call the app when http.disconnect comes while the body is read', async () => {
    const dir = spoolDir();
    let called = false;
    const app: SyncApp = () => {
      called = true;
      return [];
    };
    const before = openFds();
    const t = await run(syncToAsync(app, { spoolThreshold: 2, tmpdir: dir }), httpScope(), {
      events: [{ type: 'http.request', body: enc('abcdef'), moreBody: true }, { type: 'http.disconnect' }],
    });
    expect(called).toBe(false);
    expect(t.failed).toBe(false);
    expect(t.sent).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    expect(openFds()).toBe(before);
  });

  it('names the directory when the temp file cannot be created', async () => {
    const missing = join(tmp, 'does-not-exist');
    const app: SyncApp = () => [];
    const t = await run(syncToAsync(app, { spoolThreshold: 0, tmpdir: missing }), httpScope(), {
      events: requestEvents([enc('x')]),
    });
    expect(isPorticoError(t.error, 'ERR_INVALID_OPTION')).toBe(true);
    expect((t.error as Error).message).toContain(missing);
  });
});
