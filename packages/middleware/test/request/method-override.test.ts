import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { methodOverride, ORIGINAL_METHOD_STATE_KEY } from '../../src/request/index.js';
import { thrownCode } from '../helpers/errors.js';
import { LEAVES, type Seen } from './apps.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const enc = new TextEncoder();

async function* pieces(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield enc.encode(p);
}

for (const [label, leaf] of LEAVES) {
  describe(`methodOverride() on an ${label} app`, () => {
    const client = createClient(methodOverride({ query: '_method' })(leaf));

    it('overrides a POST from the header, case-insensitive, and records the original method', async () => {
      const res = await client.post('/', { headers: { 'x-http-method-override': ' delete ' } });
      const seen = res.json() as Seen;
      expect([seen.method, seen.originalMethod]).toEqual(['DELETE', 'POST']);
      expect(ORIGINAL_METHOD_STATE_KEY).toBe('originalMethod');
    });

    it('overrides from the form field and hands the same body bytes to the app', async () => {
      const body = 'name=a%20b&_method=patch&x=%E2%9C%93';
      const res = await client.post('/', { headers: FORM, body });
      const seen = res.json() as Seen;
      expect([seen.method, seen.body]).toEqual(['PATCH', body]);
      const chunked = await client.post('/', { headers: FORM, body: pieces('_met', 'hod=PUT&', 'z=1') });
      const c = chunked.json() as Seen;
      expect([c.method, c.body]).toEqual(['PUT', '_method=PUT&z=1']);
    });

    it('overrides from the query when enabled; the header wins over query and field', async () => {
      const q = (await client.post('/?_method=put')).json() as Seen;
      expect(q.method).toBe('PUT');
      const both = await client.post('/?_method=put', {
        headers: { ...FORM, 'x-http-method-override': 'DELETE' },
        body: '_method=PATCH',
      });
      expect((both.json() as Seen).method).toBe('DELETE');
    });

    it('ignores everything else: other methods, non-POST requests, non-form bodies, garbage', async () => {
      const cases = [
        client.post('/', { headers: { 'x-http-method-override': 'GET' } }),
        client.post('/', { headers: { 'x-http-method-override': 'CONNECT' } }),
        client.post('/', { headers: { 'x-http-method-override': 'DEL ETE' } }),
        client.post('/', { headers: FORM, body: '_method=TRACE' }),
        client.post('/', { headers: { 'content-type': 'text/plain' }, body: '_method=PUT' }),
        client.put('/', { headers: { 'x-http-method-override': 'DELETE' } }),
        client.get('/?_method=DELETE', { headers: { 'x-http-method-override': 'DELETE' } }),
      ];
      const seen = (await Promise.all(cases)).map((r) => {
        const s = r.json() as Seen;
        return [s.method, s.originalMethod];
      });
      expect(seen).toEqual([
        ['POST', null],
        ['POST', null],
        ['POST', null],
        ['POST', null],
        ['POST', null],
        ['PUT', null],
        ['GET', null],
      ]);
    });

    it('passes a form declared over the limit on unread and not overridden; 413 for a chunked one', async () => {
      const small = createClient(methodOverride({ limit: 10 })(leaf));
      const declared = await small.post('/', { headers: FORM, body: '_method=PUT&pad=xxxxxxxx' });
      const d = declared.json() as Seen;
      expect([d.method, d.body]).toEqual(['POST', '_method=PUT&pad=xxxxxxxx']);
      const chunked = await small.post('/', { headers: FORM, body: pieces('_method=PUT', '&pad=xxxxxxxx') });
      expect(chunked.status).toBe(413);
    });
  });
}

describe('methodOverride() options', () => {
  it('can turn sources off and change the allowed methods', async () => {
    const [, leaf] = LEAVES[0];
    const client = createClient(methodOverride({ header: false, field: false, methods: ['purge'] })(leaf));
    const h = (await client.post('/', { headers: { 'x-http-method-override': 'PURGE' } })).json() as Seen;
    expect(h.method).toBe('POST');
    const custom = createClient(methodOverride({ header: 'X-Method', methods: ['purge'] })(leaf));
    expect(((await custom.post('/', { headers: { 'x-method': 'purge' } })).json() as Seen).method).toBe(
      'PURGE',
    );
  });

  it('refuses bad options when built', () => {
    for (const options of [
      { header: '' },
      { field: 3 },
      { methods: ['BAD METHOD'] },
      { limit: -1 },
      { query: true },
    ]) {
      expect(thrownCode(() => methodOverride(options as never))).toBe('ERR_INVALID_OPTION');
    }
  });
});
