/** Adversarial review of cors() and compression(): cache variance, regex flags, refused codings. */
import { gunzipSync } from 'node:zlib';
import { asyncApp } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { type CorsOptions, compression, cors } from '../../src/http/index.js';
import { bytes, replyApps } from './apps.js';

describe('cors() origins: * keeps caches consistent', () => {
  for (const { label, app } of replyApps({
    headers: [['content-type', 'text/plain']],
    chunks: [bytes('x')],
  })) {
    const client = createClient(cors({ origins: '*' })(app));

    it(`sends ACAO * also without Origin, so a cached same-origin answer serves cross-origin reads (${label})`, async () => {
      // A shared cache keys on the URL only (no Vary): the response to a request without Origin
      // (a same-origin GET) must be the one a cross-origin fetch can read.
      const plain = await client.get('/');
      expect([plain.header('access-control-allow-origin'), plain.header('vary')]).toEqual(['*', null]);
      const cross = await client.get('/', { headers: { origin: 'https://x.example' } });
      expect([cross.header('access-control-allow-origin'), cross.header('vary')]).toEqual(['*', null]);
    });

    it(`the refused null origin gets no ACAO and Vary: Origin, so it is never cached for others (${label})`, async () => {
      const res = await client.get('/', { headers: { origin: 'null' } });
      expect([res.header('access-control-allow-origin'), res.header('vary')]).toEqual([null, 'Origin']);
    });
  }
});

describe('cors() RegExp origins', () => {
  const app = replyApps({ headers: [['content-type', 'text/plain']], chunks: [bytes('x')] })[0]!.app;
  const acao = async (options: CorsOptions, origin: string) =>
    (await createClient(cors(options)(app)).get('/', { headers: { origin } })).header(
      'access-control-allow-origin',
    );

  it('a sticky (y) or global (g) RegExp gives the same answer every time', async () => {
    for (const flags of ['y', 'g', 'gy', 'iy']) {
      const client = createClient(cors({ origins: [new RegExp('https://a\\.example', flags)] })(app));
      const seen: (string | null)[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await client.get('/', { headers: { origin: 'https://a.example' } });
        seen.push(res.header('access-control-allow-origin'));
      }
      expect([flags, seen]).toEqual([flags, Array(4).fill('https://a.example')]);
    }
  });

  it('an unanchored pattern is anchored: no prefix or suffix match', async () => {
    const options: CorsOptions = { origins: [/https:\/\/a\.example|https:\/\/b\.example/] };
    expect(await acao(options, 'https://b.example')).toBe('https://b.example');
    expect(await acao(options, 'https://a.example.evil.net')).toBeNull();
    expect(await acao(options, 'https://evil.nethttps://b.example')).toBeNull();
  });
});

describe('compression() negotiation edge cases', () => {
  const text = bytes('a'.repeat(4000));
  for (const { label, app } of replyApps({ headers: [['content-type', 'text/plain']], chunks: [text] })) {
    const client = createClient(compression({ encodings: ['gzip'] })(app));

    it(`gzip;q=0, * refuses gzip even though * accepts anything (${label})`, async () => {
      const res = await client.get('/', { headers: { 'accept-encoding': 'gzip;q=0, *' } });
      expect([res.header('content-encoding'), res.body.length]).toEqual([null, 4000]);
      expect(res.header('vary')).toBe('Accept-Encoding');
    });

    it(`identity;q=0, gzip compresses; x-gzip is gzip (${label})`, async () => {
      for (const ae of ['identity;q=0, gzip', 'x-gzip']) {
        const res = await client.get('/', { headers: { 'accept-encoding': ae } });
        expect([ae, res.header('content-encoding')]).toEqual([ae, 'gzip']);
        expect(gunzipSync(res.body).length).toBe(4000);
      }
    });
  }

  it('a Vary: * from the app is kept as it is', async () => {
    const { app } = replyApps({
      headers: [
        ['content-type', 'text/plain'],
        ['vary', '*'],
      ],
      chunks: [text],
    })[0]!;
    const res = await createClient(compression()(app)).get('/', { headers: { 'accept-encoding': 'gzip' } });
    expect([res.header('vary'), res.header('content-encoding')]).toEqual(['*', 'gzip']);
  });

  it('Cache-Control: No-Transform in any case leaves the body alone', async () => {
    const { app } = replyApps({
      headers: [
        ['content-type', 'text/plain'],
        ['cache-control', 'public, No-Transform'],
      ],
      chunks: [text],
    })[0]!;
    const res = await createClient(compression()(app)).get('/', { headers: { 'accept-encoding': 'gzip' } });
    expect([res.header('content-encoding'), res.body.length]).toEqual([null, 4000]);
  });
});

describe('compression() and an app that returns after its start', () => {
  it('sends the held start on, so the response is the one the app began (not a 500)', async () => {
    const app = asyncApp(async function startOnlyApp(_scope, _receive, send) {
      await send({ type: 'http.response.start', status: 201, headers: [['content-type', 'text/plain']] });
    });
    // Not validated: the app breaks the protocol on purpose; the client completes the response.
    const options = { validate: false, raiseAppErrors: false } as const;
    const bare = await createClient(app, options).get('/', { headers: { 'accept-encoding': 'gzip' } });
    const res = await createClient(compression()(app), options).get('/', {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect([bare.status, res.status]).toEqual([201, 201]);
    expect([res.header('content-encoding'), res.header('vary')]).toEqual([null, 'Accept-Encoding']);
  });
});
