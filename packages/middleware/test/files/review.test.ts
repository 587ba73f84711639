/** Adversarial review of staticFiles(): encodings, hidden directories, dates and ranges at the edges. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@portico/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { staticFiles } from '../../src/files/index.js';
import { fallbackAsync } from './fixtures.js';

const base = mkdtempSync(join(tmpdir(), 'portico-files-review-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
mkdirSync(join(base, '.git'));
mkdirSync(join(base, 'a', '.hidden'), { recursive: true });
mkdirSync(join(base, '%2e%2e'));
writeFileSync(join(base, '.git', 'config'), '[core] secret');
writeFileSync(join(base, 'a', '.hidden', 'x.txt'), 'hidden');
writeFileSync(join(base, '%2e%2e', 'literal.txt'), 'literal');
writeFileSync(join(base, 'empty'), '');
writeFileSync(join(base, 'blob.unknownext'), 'zz');
writeFileSync(join(base, 'ten.txt'), '0123456789');
// 2024-01-02T03:04:05.750Z: a fraction of a second that Last-Modified cannot show.
utimesSync(join(base, 'ten.txt'), 1704164645.75, 1704164645.75);
const LAST_MODIFIED = 'Tue, 02 Jan 2024 03:04:05 GMT';

const client = createClient(staticFiles({ root: base, fallthrough: false })(fallbackAsync));
const allow = createClient(staticFiles({ root: base, dotfiles: 'allow', fallthrough: false })(fallbackAsync));
const deny = createClient(staticFiles({ root: base, dotfiles: 'deny', fallthrough: false })(fallbackAsync));

describe('staticFiles() paths', () => {
  it('decodes once: %252e%252e is the literal name %2e%2e, never ..', async () => {
    const res = await client.get('/%252e%252e/literal.txt');
    expect([res.status, res.text()]).toEqual([200, 'literal']);
    expect((await client.get('/%252e%252e/%252e%252e/ten.txt')).status).toBe(404);
  });

  it('applies the dotfiles policy to every segment, not only the last', async () => {
    for (const path of ['/.git/config', '/a/.hidden/x.txt', '/%2egit/config', '/.git/']) {
      expect([path, (await client.get(path)).status]).toEqual([path, 404]);
      expect([path, (await deny.get(path)).status]).toEqual([path, 403]);
    }
    expect((await allow.get('/.git/config')).text()).toBe('[core] secret');
  });

  it('treats C: and other colon segments as plain names', async () => {
    for (const path of ['/C:/ten.txt', '/c:%5cten.txt', '/C:ten.txt']) {
      expect([path, (await client.get(path)).status]).toEqual([path, 404]);
    }
  });

  it('types an unknown extension application/octet-stream', async () => {
    const res = await client.get('/blob.unknownext');
    expect(res.header('content-type')).toBe('application/octet-stream');
  });
});

describe('staticFiles() dates and ranges at the edges', () => {
  it('Last-Modified drops the fraction, and If-Modified-Since equal to it gives 304', async () => {
    const res = await client.get('/ten.txt');
    expect(res.header('last-modified')).toBe(LAST_MODIFIED);
    expect((await client.get('/ten.txt', { headers: { 'if-modified-since': LAST_MODIFIED } })).status).toBe(
      304,
    );
    const range = await client.get('/ten.txt', {
      headers: { range: 'bytes=0-1', 'if-range': LAST_MODIFIED },
    });
    expect([range.status, range.text()]).toEqual([206, '01']);
  });

  it('reads ranges with spaces and numbers past 2^53 without wrapping', async () => {
    const get = async (range: string) => client.get('/ten.txt', { headers: { range } });
    const spaced = await get('bytes= 2-4 ');
    expect([spaced.status, spaced.text()]).toEqual([206, '234']);
    const huge = await get('bytes=3-99999999999999999999999');
    expect([huge.status, huge.text(), huge.header('content-range')]).toEqual([
      206,
      '3456789',
      'bytes 3-9/10',
    ]);
    const farStart = await get('bytes=9007199254740993-');
    expect([farStart.status, farStart.header('content-range')]).toEqual([416, 'bytes */10']);
    const hugeSuffix = await get(`bytes=-${'9'.repeat(400)}`);
    expect([hugeSuffix.status, hugeSuffix.text()]).toEqual([206, '0123456789']);
  });

  it('an empty file: int-ranges get 416 bytes */0, a non-zero suffix the whole empty body; HEAD ignores Range', async () => {
    for (const range of ['bytes=0-', 'bytes=0-0', 'bytes=-0']) {
      const res = await client.get('/empty', { headers: { range } });
      expect([range, res.status, res.header('content-range')]).toEqual([range, 416, 'bytes */0']);
    }
    // RFC 9110 section 14.1.1: a suffix-range with a non-zero length is satisfiable, never a 416.
    for (const range of ['bytes=-5', 'bytes=0-, -1']) {
      const res = await client.get('/empty', { headers: { range } });
      expect([range, res.status, res.header('content-length'), res.header('content-range')]).toEqual([
        range,
        200,
        '0',
        null,
      ]);
    }
    const head = await client.head('/ten.txt', { headers: { range: 'bytes=0-1' } });
    expect([head.status, head.header('content-length'), head.header('content-range')]).toEqual([
      200,
      '10',
      null,
    ]);
  });

  it('If-None-Match: * and W/ forms match an existing file; a 304 has no content headers', async () => {
    const etag = (await client.get('/ten.txt')).header('etag') ?? '';
    for (const inm of ['*', etag, etag.replace(/^W\//, ''), `"zzz" , ${etag}`]) {
      const res = await client.get('/ten.txt', { headers: { 'if-none-match': inm } });
      expect([inm, res.status, res.header('content-length'), res.header('content-type')]).toEqual([
        inm,
        304,
        null,
        null,
      ]);
      expect(res.header('etag')).toBe(etag);
    }
  });
});
