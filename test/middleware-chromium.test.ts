/**
 * cors(), compression() and securityHeaders() proven with a real browser: headless Chromium
 * (Debian's `chromium`, driven by playwright-core with `executablePath`) runs `fetch`,
 * `EventSource`, scripts and iframes across three origins served by the HTTP adapter on 127.0.0.1
 * (SITE, allowed by cors(); API, the app under test; OTHER, not allowed). The browser enforces
 * CORS, CSP and framing; the API's probe ({@link ApiProbe}) counts what reached the middleware and
 * what reached the app. The sites are in test/fixtures/cors-sites.ts.
 */
import { type HTTPServer, serve } from '@portico/http';
import { DEFAULT_CSP } from '@portico/middleware';
import { type AsyncApp, validateAsync } from '@portico/spec';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiProbe,
  BIG_JSON,
  createApiApp,
  createOtherApp,
  createSiteApp,
  DATA_HEADERS,
  INNER_MARKER,
  type Origins,
  SID,
  SITE_MARKER,
} from './fixtures/cors-sites.js';
import { findBinary, freePort } from './peers/peer.js';

const bin = findBinary('chromium');

/** How many entries of `list` equal `value`. */
const count = (list: readonly string[], value: string): number => list.filter((v) => v === value).length;

/** What a page-side fetch reports: the response, or the error it rejected with. */
type FetchResult =
  | { ok: true; status: number; total: string | null; secret: string | null; body: unknown }
  | { ok: false; name: string; message: string };

/**
 * Page-side script (a string: the test tsconfig has no DOM lib) that runs `fetch(url, init)` and
 * reports the status, the `x-total` and `x-secret` headers as JS can read them, and the JSON body.
 */
const fetchScript = (url: string, init: Record<string, unknown>): string => `(async () => {
  try {
    const r = await fetch(${JSON.stringify(url)}, ${JSON.stringify(init)});
    return { ok: true, status: r.status, total: r.headers.get('x-total'),
      secret: r.headers.get('x-secret'), body: await r.json() };
  } catch (e) {
    return { ok: false, name: e.name, message: e.message };
  }
})()`;

const PUT_INIT = {
  method: 'PUT',
  credentials: 'include',
  headers: { 'x-custom': 'v1', 'content-type': 'application/json' },
  body: JSON.stringify({ n: 1 }),
};

describe.skipIf(bin === '')('cors(), compression(), securityHeaders() in headless Chromium', () => {
  const servers: HTTPServer[] = [];
  let origins: Origins;
  let probe: ApiProbe;
  let browser: Browser;

  beforeAll(async () => {
    const [site, api, other] = await Promise.all([freePort(), freePort(), freePort()]);
    origins = {
      site: `http://127.0.0.1:${site}`,
      api: `http://127.0.0.1:${api}`,
      other: `http://127.0.0.1:${other}`,
    };
    const built = createApiApp(origins);
    probe = built.probe;
    const start = async (app: AsyncApp, port: number): Promise<void> => {
      servers.push(await serve(validateAsync(app), { bind: [`127.0.0.1:${port}`], lifespan: 'off' }));
    };
    await start(built.app, api);
    await start(createSiteApp(origins), site);
    await start(createOtherApp(origins), other);
    browser = await chromium.launch({ executablePath: bin, args: ['--no-sandbox', '--headless=new'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => s.close()));
  }, 60_000);

  /** A fresh context (cookies, preflight cache) with a page open at `url`. */
  async function open(url: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    return { context, page };
  }

  /** The last response the API sent for `request` to `origin`. */
  const lastResponse = (request: string, origin: string) =>
    probe.responses.filter((r) => r.request === request && r.requestHeaders.origin === origin).at(-1);

  it('credentialed GET from the allowed origin: readable, exposed header only, cookie sent back', async () => {
    const { context, page } = await open(`${origins.site}/app`);
    try {
      const login = await page.evaluate<FetchResult>(
        fetchScript(`${origins.api}/login`, { credentials: 'include' }),
      );
      expect(login).toEqual({ ok: true, status: 200, total: null, secret: null, body: { ok: true } });
      // The browser stored the cookie the cross-origin (same-site: ports do not count) response set.
      const stored = (await context.cookies(origins.api)).find((c) => c.name === SID.name);
      expect(stored).toMatchObject({
        value: SID.value,
        domain: '127.0.0.1',
        path: '/',
        httpOnly: true,
        secure: false,
        sameSite: 'Lax',
      });

      const data = await page.evaluate<FetchResult>(
        fetchScript(`${origins.api}/data`, { credentials: 'include' }),
      );
      // x-total is exposed, x-secret is not (the server did send it: see below).
      expect(data).toEqual({
        ok: true,
        status: 200,
        total: DATA_HEADERS.total,
        secret: null,
        body: { cookie: SID.value },
      });
      const sent = lastResponse('GET /data', origins.site);
      expect(sent?.requestHeaders.cookie).toBe(`${SID.name}=${SID.value}`);
      expect(sent?.headers).toMatchObject({
        'access-control-allow-origin': origins.site,
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-total',
        'x-secret': DATA_HEADERS.secret,
        vary: 'Accept-Encoding, Origin', // compression() adds its Vary even to a body under its threshold
      });

      // Without credentials the browser sends no cookie.
      const omitted = await page.evaluate<FetchResult>(
        fetchScript(`${origins.api}/data`, { credentials: 'omit' }),
      );
      expect(omitted).toMatchObject({ ok: true, status: 200, body: { cookie: null } });
      expect(lastResponse('GET /data', origins.site)?.requestHeaders.cookie).toBeUndefined();
    } finally {
      await context.close();
    }
  }, 60_000);

  it('preflighted PUT from the allowed origin: one OPTIONS answered by cors(), cached for the second', async () => {
    const { context, page } = await open(`${origins.site}/app`);
    try {
      const optionsBefore = count(probe.reached, 'OPTIONS /items');
      const putsBefore = count(probe.ran, 'PUT /items');

      const first = await page.evaluate<FetchResult>(fetchScript(`${origins.api}/items`, PUT_INIT));
      expect(first).toEqual({
        ok: true,
        status: 200,
        total: null,
        secret: null,
        body: { body: { n: 1 }, custom: 'v1' },
      });
      expect(count(probe.reached, 'OPTIONS /items')).toBe(optionsBefore + 1);
      expect(count(probe.ran, 'OPTIONS /items')).toBe(0); // cors() answered it; the app never saw one
      expect(count(probe.ran, 'PUT /items')).toBe(putsBefore + 1);
      const preflight = lastResponse('OPTIONS /items', origins.site);
      expect(preflight?.requestHeaders['access-control-request-method']).toBe('PUT');
      expect(preflight?.requestHeaders['access-control-request-headers']).toBe('content-type,x-custom');
      expect(preflight?.status).toBe(204);
      expect(preflight?.headers).toMatchObject({
        'access-control-allow-origin': origins.site,
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': 'content-type, x-custom',
        'access-control-max-age': '600',
      });
      expect(preflight?.headers['access-control-allow-methods']?.split(', ')).toContain('PUT');

      // Within Max-Age Chromium reuses its preflight cache entry: no second OPTIONS.
      const second = await page.evaluate<FetchResult>(fetchScript(`${origins.api}/items`, PUT_INIT));
      expect(second).toMatchObject({ ok: true, status: 200, body: { custom: 'v1' } });
      expect(count(probe.reached, 'OPTIONS /items')).toBe(optionsBefore + 1);
      expect(count(probe.ran, 'PUT /items')).toBe(putsBefore + 2);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('from an origin not allowed: the browser rejects both fetches, and the PUT never reaches the app', async () => {
    const { context, page } = await open(`${origins.other}/app`);
    try {
      // A simple GET is sent (no preflight), but the answer has no ACAO, so the page cannot read it.
      const get = await page.evaluate<FetchResult>(
        fetchScript(`${origins.api}/data`, { credentials: 'include' }),
      );
      expect(get).toEqual({ ok: false, name: 'TypeError', message: 'Failed to fetch' });
      const sentGet = lastResponse('GET /data', origins.other);
      expect(sentGet?.status).toBe(200);
      expect(sentGet?.headers['access-control-allow-origin']).toBeUndefined();
      expect(sentGet?.headers.vary).toBe('Accept-Encoding, Origin');

      const optionsBefore = count(probe.reached, 'OPTIONS /items');
      const putsBefore = count(probe.ran, 'PUT /items');
      const put = await page.evaluate<FetchResult>(fetchScript(`${origins.api}/items`, PUT_INIT));
      expect(put).toEqual({ ok: false, name: 'TypeError', message: 'Failed to fetch' });
      expect(count(probe.reached, 'OPTIONS /items')).toBe(optionsBefore + 1);
      const refused = lastResponse('OPTIONS /items', origins.other);
      expect(refused?.status).toBe(403);
      expect(refused?.headers['access-control-allow-origin']).toBeUndefined();
      expect(count(probe.ran, 'PUT /items')).toBe(putsBefore);
      expect(count(probe.reached, 'PUT /items')).toBe(count(probe.ran, 'PUT /items')); // none from OTHER
    } finally {
      await context.close();
    }
  }, 60_000);

  it('compression: Chromium decodes a 20 KiB JSON; resource timing shows fewer bytes on the wire', async () => {
    const { context, page } = await open(`${origins.site}/app`);
    try {
      const url = `${origins.api}/big`;
      const result = await page.evaluate<{ body: unknown; encoded: number; decoded: number }>(`(async () => {
        const r = await fetch(${JSON.stringify(url)}, { credentials: 'include' });
        const body = await r.json();
        const entry = performance.getEntriesByType('resource').find((e) => e.name === ${JSON.stringify(url)});
        return { body, encoded: entry.encodedBodySize, decoded: entry.decodedBodySize };
      })()`);
      const json = JSON.stringify(BIG_JSON);
      expect(json.length).toBeGreaterThanOrEqual(20 * 1024);
      expect(result.body).toEqual(BIG_JSON);
      // Sizes are visible to the page because the API sends Timing-Allow-Origin (else they are 0).
      expect(result.decoded).toBe(Buffer.byteLength(json));
      expect(result.encoded).toBeGreaterThan(0);
      expect(result.encoded).toBeLessThan(result.decoded / 4);
      const sent = lastResponse('GET /big', origins.site);
      const coding = sent?.headers['content-encoding'] ?? '';
      expect(['br', 'gzip']).toContain(coding);
      expect(sent?.requestHeaders['accept-encoding']?.split(/\s*,\s*/)).toContain(coding);
      expect(sent?.headers['content-length']).toBeUndefined();
      expect(sent?.headers.vary).toBe('Accept-Encoding, Origin');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('compression streams: EventSource gets the first event before the app sends the second', async () => {
    const { context, page } = await open(`${origins.site}/app`);
    try {
      const url = `${origins.api}/events`;
      await page.evaluate(`(() => {
        window.events = [];
        const es = new EventSource(${JSON.stringify(url)}, { withCredentials: true });
        es.onmessage = (e) => { window.events.push(e.data); if (e.data === 'two') es.close(); };
        es.onerror = () => window.events.push('error');
      })()`);
      await expect.poll(() => page.evaluate<string[]>('window.events'), { timeout: 15_000 }).toEqual(['one']);
      expect(probe.secondEventSent).toBe(false);
      const sent = lastResponse('GET /events', origins.site);
      expect(['br', 'gzip']).toContain(sent?.headers['content-encoding']);
      expect(sent?.headers['access-control-allow-origin']).toBe(origins.site);

      probe.releaseEvents();
      await expect
        .poll(() => page.evaluate<string[]>('window.events'), { timeout: 15_000 })
        .toEqual(['one', 'two']);
      expect(probe.secondEventSent).toBe(true);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('securityHeaders(): the default CSP blocks the inline script, not the same-origin one', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const console: string[] = [];
      page.on('console', (m) => console.push(m.text()));
      const response = await page.goto(`${origins.site}/`);
      expect(response?.status()).toBe(200);
      expect(await response?.headerValue('content-security-policy')).toBe(DEFAULT_CSP);
      expect(await response?.headerValue('x-frame-options')).toBe('DENY');
      expect(await response?.headerValue('x-content-type-options')).toBe('nosniff');
      expect(await page.locator('#marker').textContent()).toBe(SITE_MARKER);
      await expect
        .poll(() => page.evaluate<string[]>('window.violations'), { timeout: 10_000 })
        .toEqual(['script-src-elem inline']);
      expect(await page.evaluate<unknown>('window.externalRan')).toBe(true);
      expect(await page.evaluate<unknown>('window.inlineRan ?? null')).toBeNull();
      expect(console).toHaveLength(1);
      expect(console[0]).toMatch(
        /^Executing inline script violates .*'script-src 'self''.* The action has been blocked\.$/,
      );
    } finally {
      await context.close();
    }
  }, 60_000);

  it("securityHeaders(): another origin's iframe does not render the page (frame-ancestors 'none')", async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const console: string[] = [];
      page.on('console', (m) => console.push(m.text()));
      await page.goto(`${origins.other}/frame`);
      // The control frame (no security headers) renders ...
      await expect
        .poll(() => page.frameLocator('#inner').locator('#marker').textContent(), { timeout: 10_000 })
        .toBe(INNER_MARKER);
      // ... the SITE frame is refused by Chromium, which says why.
      await expect
        .poll(() => console.some((m) => m.includes('frame-ancestors')), { timeout: 10_000 })
        .toBe(true);
      expect(await page.frameLocator('#site').locator('#marker').count()).toBe(0);
      const siteFrame = page.frames().find((f) => f.url().startsWith(origins.site));
      expect(siteFrame).toBeUndefined();
    } finally {
      await context.close();
    }
  }, 60_000);
});
