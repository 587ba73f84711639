import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileWrapper } from '../src/bridge/file-wrapper.js';
import { syncToAsync } from '../src/bridge/sync-to-async.js';
import type { SyncApp } from '../src/sync-types.js';
import { openFds } from './fixtures/sync-bodies.js';
import { bodyOf, httpScope, run, shape } from './fixtures/transcript.js';

const tmp = mkdtempSync(join(tmpdir(), 'portico-bridge-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('syncToAsync: portico.file_wrapper', () => {
  const file = join(tmp, 'file.txt');
  writeFileSync(file, 'abcdefghij');

  const wrapping =
    (what: 'path' | 'fd'): SyncApp =>
    (environ, startResponse) => {
      startResponse('200 OK', [['content-type', 'text/plain']]);
      const wrap = environ['portico.file_wrapper']!;
      return what === 'path' ? wrap({ path: file }, 4) : wrap({ fd: openSync(file, 'r') }, 4);
    };

  it('iterates the file in blocks when the server has no path send', async () => {
    const before = openFds();
    const t = await run(syncToAsync(wrapping('fd')), httpScope());
    expect(bodyOf(t)).toBe('abcdefghij');
    expect(shape(t)).toEqual([
      'http.response.start',
      'http.response.body+',
      'http.response.body+',
      'http.response.body+',
      'http.response.body',
    ]);
    expect(openFds()).toBe(before); // close() closed the descriptor
  });

  it('sends the path when the server offers http.response.pathsend', async () => {
    const scope = httpScope({ extensions: { 'http.response.pathsend': {} } });
    const t = await run(syncToAsync(wrapping('path')), scope);
    expect(t.sent).toEqual([
      { type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] },
      { type: 'http.response.pathsend', path: file },
    ]);
  });

  it('iterates a bare descriptor even when path send is offered', async () => {
    const scope = httpScope({ extensions: { 'http.response.pathsend': {} } });
    const t = await run(syncToAsync(wrapping('fd')), scope);
    expect(bodyOf(t)).toBe('abcdefghij');
  });

  it('refuses what is not a file, and closes a descriptor it was given', () => {
    expect(() => fileWrapper({} as never)).toThrow(/expected \{ fd \} or \{ path \}/);
    expect(() => fileWrapper({ fd: -1 })).toThrow(/fd must be a file descriptor/);
    expect(() => fileWrapper({ path: file }, 0)).toThrow(/blockSize/);
    const fd = openSync(file, 'r');
    fileWrapper({ fd, path: file }).close?.();
    expect(() => closeSync(fd)).toThrow(/EBADF/);
  });
});
