/**
 * The notes example end to end in headless Chromium (Debian's `chromium`, driven by
 * playwright-core with `executablePath`; no browser download) over the HTTP adapter: login form,
 * server-side session, CSRF, escaping, cookie attributes, fixation, logout, replay, cross-origin POST.
 */
import { createServer, type Server } from 'node:http';
import { type HTTPServer, serve } from '@portico/http';
import { validateAsync } from '@portico/spec';
import { type Browser, type BrowserContext, type Cookie, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotesApp } from '../examples/notes/app.js';
import { findBinary } from './peers/peer.js';

const bin = findBinary('chromium');
const users = { alice: { password: 'alice-pw', roles: ['user'] } };
const NOTE = 'buy <b>milk</b> & <script>alert(1)</script>';

describe.skipIf(bin === '')('notes example in headless Chromium', () => {
  let server: HTTPServer;
  let base: string;
  let browser: Browser;
  let attacker: Server;
  let attackerBase: string;

  beforeAll(async () => {
    const app = createNotesApp({
      users,
      jwtSecret: new TextEncoder().encode('notes-chromium-test-secret-0123456789'),
      issuer: 'notes-test',
      audience: 'notes-test-api',
    });
    server = await serve(validateAsync(app), { bind: ['127.0.0.1:0'], lifespan: 'off' });
    base = server.addresses[0] as string;
    // A second origin (another port) serving a page that auto-submits a form to the app.
    attacker = createServer((_req, res) => {
      const html = `<!doctype html><form id="f" method="post" action="${base}/notes">
<input name="text" value="planted by another origin"></form>
<script>document.getElementById('f').submit()</script>`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const address = attacker.address();
    attackerBase = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    browser = await chromium.launch({ executablePath: bin, args: ['--no-sandbox', '--headless=new'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await server?.close();
  }, 60_000);

  const sid = async (context: BrowserContext): Promise<Cookie | undefined> =>
    (await context.cookies(base)).find((c) => c.name === 'notes.sid');

  it('logs in, adds an escaped note, checks the cookie, logs out, and refuses replay and cross-origin posts', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();

      // Not logged in: / sends the browser to the login form, which carries a CSRF token.
      await page.goto(`${base}/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      const token = await page.locator('input[name="_csrf"]').first().getAttribute('value');
      expect(token ?? '').toMatch(/^[A-Za-z0-9_-]{43}$/);
      const before = await sid(context);
      expect(before).toBeDefined(); // the token lives in the session, so rendering the form started one

      // Wrong password: the form again with an error; the session holds no user.
      await page.fill('input[name="username"]', 'alice');
      await page.fill('input[name="password"]', 'nope');
      await page.click('button[type="submit"]');
      await expect.poll(() => page.locator('#error').textContent()).toBe('Wrong user name or password.');
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.goto(`${base}/`);
      expect(new URL(page.url()).pathname).toBe('/login');

      // Log in: a new session id (fixation), then the (empty) list.
      await page.fill('input[name="username"]', 'alice');
      await page.fill('input[name="password"]', 'alice-pw');
      await Promise.all([page.waitForURL(`${base}/`), page.click('button[type="submit"]')]);
      expect(await page.locator('#user').textContent()).toBe('alice');
      expect(await page.locator('#empty').textContent()).toBe('No notes yet.');
      const after = await sid(context);
      expect(after?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(after?.value).not.toBe(before?.value);

      // The cookie's attributes as the browser stored them.
      expect(after).toMatchObject({
        name: 'notes.sid',
        domain: '127.0.0.1',
        path: '/',
        httpOnly: true,
        secure: false,
        sameSite: 'Lax',
        expires: -1, // persistent: false, a browser-session cookie
      });
      expect(await page.evaluate<string>('document.cookie')).not.toContain('notes.sid'); // HttpOnly

      // Add a note with markup: listed, shown as text, no element made from it.
      await page.fill('textarea[name="text"]', NOTE);
      await Promise.all([page.waitForURL(`${base}/`), page.click('#add')]);
      const item = page.locator('#notes li');
      expect(await item.count()).toBe(1);
      expect(await item.first().textContent()).toBe(NOTE);
      expect(await page.locator('#notes b, #notes script').count()).toBe(0);
      const html = await (await page.request.get(`${base}/`)).text();
      expect(html).toContain('buy &lt;b&gt;milk&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;');

      // A form on another origin posting to /notes: refused (Origin check), no note made.
      const crossPage = await context.newPage();
      const [crossResponse] = await Promise.all([
        crossPage.waitForResponse((r) => r.url() === `${base}/notes`),
        crossPage.goto(attackerBase),
      ]);
      expect(crossResponse.status()).toBe(403);
      expect(await crossResponse.text()).toContain('cross-origin request');
      await crossPage.close();
      await page.reload();
      expect(await page.locator('#notes li').allTextContents()).toEqual([NOTE]);

      // Log out: the cookie is cleared and / goes to the login form again.
      await Promise.all([page.waitForURL(`${base}/login`), page.click('#logout')]);
      expect((await sid(context))?.value).not.toBe(after?.value);
      await page.goto(`${base}/`);
      expect(new URL(page.url()).pathname).toBe('/login');

      // Replaying the logged-in cookie in a fresh context does not get in: the record is gone.
      const replay = await browser.newContext();
      try {
        await replay.addCookies([{ name: 'notes.sid', value: after?.value ?? '', url: base }]);
        const replayPage = await replay.newPage();
        await replayPage.goto(`${base}/`);
        expect(new URL(replayPage.url()).pathname).toBe('/login');
        expect(await replayPage.locator('#notes').count()).toBe(0);
      } finally {
        await replay.close();
      }
    } finally {
      await context.close();
    }
  }, 120_000);

  it('refuses a POST whose CSRF token does not match, even from the same origin', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${base}/login`);
      await page.fill('input[name="username"]', 'alice');
      await page.fill('input[name="password"]', 'alice-pw');
      await Promise.all([page.waitForURL(`${base}/`), page.click('button[type="submit"]')]);
      const count = await page.locator('#notes li').count();
      // The test tsconfig has no DOM lib, so the page script is a string.
      await page.evaluate(
        `document.querySelector('form[action="/notes"] input[name="_csrf"]').value = '${'x'.repeat(43)}'`,
      );
      await page.fill('textarea[name="text"]', 'with a forged token');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${base}/notes`),
        page.click('#add'),
      ]);
      expect(response.status()).toBe(403);
      expect(await response.text()).toContain('CSRF token missing or invalid');
      await page.goto(`${base}/`);
      expect(await page.locator('#notes li').count()).toBe(count);
    } finally {
      await context.close();
    }
  }, 120_000);
});
