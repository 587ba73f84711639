import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syncToAsync } from '../src/bridge/sync-to-async.js';
import type { PorticoError } from '../src/errors.js';
import type { SyncApp } from '../src/sync-types.js';
import { validateSync } from '../src/validator/index.js';
import { bodyOf, enc, httpScope, requestEvents, run } from './fixtures/transcript.js';

// The bridge is a sync server: under the validator, it must break no server-side rule.
const tmp = mkdtempSync(join(tmpdir(), 'portico-validated-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = join(tmp, 'f.txt');
writeFileSync(file, 'file body');

const apps: Array<[string, SyncApp, string]> = [
  [
    'an array body',
    (_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return [enc('a'), enc('b')];
    },
    'ab',
  ],
  [
    'a generator body',
    (_e, sr) =>
      (function* () {
        sr('200 OK', []);
        yield enc('x');
        yield enc('');
        yield enc('y');
      })(),
    'xy',
  ],
  [
    'write() and an empty array',
    (_e, sr) => {
      const write = sr('200 OK', []);
      write(enc('w1'));
      write(enc('w2'));
      return [];
    },
    'w1w2',
  ],
  [
    'excInfo before any output',
    (_e, sr) => {
      sr('200 OK', []);
      sr('500 Internal Server Error', [], new Error('x'));
      return [enc('e')];
    },
    'e',
  ],
  [
    'the request body read back',
    (environ, sr) => {
      const input = environ['portico.input'];
      const line = input.readline();
      const rest = input.read();
      sr('200 OK', []);
      return [line, rest];
    },
    'line\nrest',
  ],
  [
    'a file wrapper',
    (environ, sr) => {
      sr('200 OK', []);
      return environ['portico.file_wrapper']!({ path: file }, 4);
    },
    'file body',
  ],
];

describe('syncToAsync under validateSync', () => {
  it.each(apps)('%s: no violation', async (_name, app, expected) => {
    const violations: PorticoError[] = [];
    const bridged = syncToAsync(validateSync(app, { onViolation: (err) => violations.push(err) }));
    const t = await run(bridged, httpScope({ method: 'POST' }), {
      events: requestEvents([enc('line\n'), enc('rest')]),
    });
    await new Promise((r) => setTimeout(r, 5)); // microtask checks (SYNC-BODY-6) have run
    expect(violations.map((v) => v.message)).toEqual([]);
    expect(t.error).toBeUndefined();
    expect(bodyOf(t)).toBe(expected);
  });
});
