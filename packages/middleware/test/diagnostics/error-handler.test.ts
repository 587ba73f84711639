import { isPorticoError, PorticoError, validateAsync, validateSync } from '@portico/spec';
import { createClient } from '@portico/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptQuality,
  errorHandler,
  errorStatus,
  escapeHtml,
  negotiateErrorType,
} from '../../src/diagnostics/index.js';
import { expectLifespanPassesThrough } from '../helpers/lifespan.js';
import { failingAsync, failingSync, recordingLogger, SECRET } from './apps.js';

for (const [label, leaf] of [
  ['async', () => validateAsync(failingAsync)],
  ['sync', () => validateSync(failingSync)],
] as const) {
  describe(`errorHandler() in production on an ${label} app`, () => {
    const logger = recordingLogger();
    const client = createClient(validateAsync(errorHandler({ debug: false, logger })(leaf())));

    it('answers 500 for a plain Error without its message or a stack', async () => {
      for (const accept of [undefined, 'text/html,*/*;q=0.8', 'application/json']) {
        const res = await client.get('/plain', accept === undefined ? {} : { headers: { accept } });
        expect(res.status).toBe(500);
        expect(res.text()).not.toContain('secret');
        expect(res.text()).not.toContain('hunter2');
        expect(res.text()).not.toMatch(/\bat /);
        expect(res.text()).toContain('Internal Server Error');
        expect(res.header('cache-control')).toBe('no-store');
        expect(Number(res.header('content-length'))).toBe(res.body.byteLength);
      }
    });

    it('negotiates text, HTML and JSON bodies', async () => {
      const text = await client.get('/plain');
      expect(text.header('content-type')).toBe('text/plain; charset=utf-8');
      expect(text.text()).toBe('Internal Server Error\n');
      const html = await client.get('/plain', {
        headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      });
      expect(html.header('content-type')).toBe('text/html; charset=utf-8');
      expect(html.text()).toContain('<h1>500 Internal Server Error</h1>');
      const json = await client.get('/plain', { headers: { accept: 'application/json' } });
      expect(json.header('content-type')).toBe('application/json; charset=utf-8');
      expect(json.json()).toEqual({ error: 'Internal Server Error' });
    });

    it('hides the message of a PorticoError that is not exposed', async () => {
      const res = await client.get('/hidden-porticoerror', { headers: { accept: 'application/json' } });
      expect(res.status).toBe(500);
      expect(res.json()).toEqual({ error: 'Internal Server Error' });
    });

    it("answers an exposed error's status and message, escaped in HTML", async () => {
      const res = await client.get('/exposed', { headers: { accept: 'application/json' } });
      expect(res.status).toBe(401);
      expect(res.json()).toEqual({ error: 'Unauthorized', message: 'log in <first>' });
      const html = await client.get('/exposed', { headers: { accept: 'text/html' } });
      expect(html.text()).toContain('<p>log in &lt;first&gt;</p>');
      expect(html.text()).not.toMatch(/\bat /);
      const large = await client.get('/too-large');
      expect(large.status).toBe(413);
      expect(large.text()).toBe('Payload Too Large: request body is larger than 10 bytes\n');
    });

    it('sends no body for HEAD', async () => {
      const res = await client.head('/plain');
      expect(res.status).toBe(500);
      expect(res.body.byteLength).toBe(0);
    });

    it('passes good responses through', async () => {
      const res = await client.get('/ok');
      expect(res.status).toBe(200);
      expect(res.text()).toBe('ok');
    });

    it('logs 5xx at error with the error, 4xx at debug', async () => {
      logger.calls.length = 0;
      await client.get('/plain');
      await client.get('/exposed');
      expect(logger.calls.map((c) => [c.level, c.message, c.fields?.status, c.fields?.path])).toEqual([
        ['error', 'app error', 500, '/plain'],
        ['debug', 'app error', 401, '/exposed'],
      ]);
      expect(logger.calls[0]?.fields?.error).toMatchObject({ message: SECRET });
      expect(logger.calls[0]?.fields?.method).toBe('GET');
    });

    it('rethrows an error after http.response.start, so the server cuts the response', async () => {
      logger.calls.length = 0;
      await expect(client.get('/after-start')).rejects.toThrow('failed mid-body');
      expect(logger.calls.map((c) => [c.level, c.message])).toEqual([
        ['error', 'app error after http.response.start'],
      ]);
      const lenient = createClient(validateAsync(errorHandler({ debug: false, logger })(leaf())), {
        raiseAppErrors: false,
      });
      const res = await lenient.get('/after-start');
      expect(res.status).toBe(200); // the head went out; the body stops where the app failed
      expect(res.text()).toBe('part');
    });
  });

  describe(`errorHandler() in debug mode on an ${label} app`, () => {
    const logger = recordingLogger();
    const client = createClient(validateAsync(errorHandler({ debug: true, logger })(leaf())));

    it('shows name, message, stack, causes and request, every string escaped', async () => {
      const res = await client.get('/plain?x=<b>', {
        headers: {
          accept: 'text/html',
          'x-evil': '<script>alert("h")</script>',
          authorization: 'Basic c2VjcmV0',
        },
      });
      expect(res.status).toBe(500);
      const page = res.text();
      expect(page).toContain('<h2>Error</h2>');
      expect(page).toContain(escapeHtml(SECRET));
      expect(page).toMatch(/<pre>Error: secret &lt;script&gt;.*\n\s+at /);
      expect(page).toContain(
        '<tr><th>x-evil</th><td>&lt;script&gt;alert(&quot;h&quot;)&lt;/script&gt;</td></tr>',
      );
      expect(page).toContain('<tr><th>authorization</th><td>[hidden]</td></tr>');
      expect(page).toContain('<code>GET /plain?x=&lt;b&gt;</code>');
      expect(page).not.toContain('<script>');
      expect(page).not.toContain('c2VjcmV0');
      expect(res.header('content-security-policy')).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      );
    });

    it('shows the cause chain', async () => {
      const res = await client.get('/caused', { headers: { accept: 'text/html' } });
      expect(res.text()).toContain('<h2>Caused by: TypeError</h2>');
      expect(res.text()).toContain('inner &lt;cause&gt;');
      const json = await client.get('/caused', { headers: { accept: 'application/json' } });
      const body = json.json() as { errors: { name: string; message: string; stack: string }[] };
      expect(body.errors.map((e) => [e.name, e.message])).toEqual([
        ['Error', 'outer failure'],
        ['TypeError', 'inner <cause>'],
      ]);
      expect(body.errors[0]?.stack).toMatch(/\n\s+at /);
    });
  });
}

describe('errorHandler() and the client leaving', () => {
  it('does not log ERR_CLIENT_DISCONNECTED as an error and rethrows it', async () => {
    const logger = recordingLogger();
    const gone = validateAsync(async function goneApp(scope, _receive, _send) {
      if (scope.type !== 'http') return;
      throw new PorticoError('ERR_CLIENT_DISCONNECTED', 'client went away');
    });
    const client = createClient(errorHandler({ logger })(gone));
    const err: unknown = await client.get('/').catch((e: unknown) => e);
    expect(isPorticoError(err, 'ERR_CLIENT_DISCONNECTED')).toBe(true);
    expect(logger.calls.map((c) => c.level)).toEqual(['debug']);
  });

  it('passes lifespan through', async () => {
    await expectLifespanPassesThrough(errorHandler({ logger: recordingLogger() }));
  });
});

describe('errorHandler() options and helpers', () => {
  it('refuses bad options', () => {
    for (const bad of [{ debug: 'yes' }, { logger: {} }, { logger: null }]) {
      expect(() => errorHandler(bad as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });

  it('maps errors to statuses', () => {
    expect(errorStatus(new PorticoError('ERR_FORBIDDEN', 'no', { status: 403 }))).toBe(403);
    expect(errorStatus(Object.assign(new Error('x'), { statusCode: 404 }))).toBe(404);
    expect(errorStatus({ status: 302 })).toBe(500);
    expect(errorStatus({ status: 600 })).toBe(500);
    expect(errorStatus('a string')).toBe(500);
    expect(errorStatus(null)).toBe(500);
  });

  it('negotiates by q-value', () => {
    expect(negotiateErrorType(undefined)).toBe('text');
    expect(negotiateErrorType('*/*')).toBe('text');
    expect(negotiateErrorType('application/json')).toBe('json');
    expect(negotiateErrorType('text/html;q=0.9, application/json')).toBe('json');
    expect(negotiateErrorType('application/json;q=0.5, text/html')).toBe('html');
    expect(negotiateErrorType('text/plain, text/html;q=0.1')).toBe('text');
    expect(acceptQuality('text/*;q=0.3, text/html;q=0.7', 'text/html')).toBe(0.7);
    expect(acceptQuality('text/*;q=0.3, text/html;q=0.7', 'text/plain')).toBe(0.3);
    expect(acceptQuality('image/png', 'text/html')).toBe(0);
  });

  it('escapeHtml leaves no markup character, and negotiation never throws (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(escapeHtml(s)).not.toMatch(/[<>"']/);
        expect(['text', 'html', 'json']).toContain(negotiateErrorType(s));
      }),
    );
  });
});
