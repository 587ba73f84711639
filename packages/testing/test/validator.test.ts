import type { AsyncApp, PorticoError } from '@portico/spec';
import { describe, expect, it } from 'vitest';
import { createClient } from '../src/index.js';
import { enc, httpScope } from './apps.js';

/** Breaks ASYNC-HTTP-4: body before start. */
const bodyFirst: AsyncApp = async (scope, _receive, send) => {
  httpScope(scope);
  await send({ type: 'http.response.body', body: enc('too early') });
};

/** Breaks the same rule but swallows the error it gets. */
const bodyFirstQuiet: AsyncApp = async (scope, _receive, send) => {
  httpScope(scope);
  await send({ type: 'http.response.body', body: enc('too early') }).catch(() => {});
  await send({ type: 'http.response.start', status: 200 });
  await send({ type: 'http.response.body' });
};

describe('validator', () => {
  it('is on by default: body before start fails the request with ERR_SPEC_VIOLATION', async () => {
    await expect(createClient(bodyFirst).get('/')).rejects.toMatchObject({
      code: 'ERR_SPEC_VIOLATION',
      rule: 'ASYNC-HTTP-4',
      side: 'app',
    });
  });

  it('fails the request even when the app caught the violation', async () => {
    await expect(createClient(bodyFirstQuiet).get('/')).rejects.toMatchObject({
      code: 'ERR_SPEC_VIOLATION',
      rule: 'ASYNC-HTTP-4',
    });
  });

  it('with validate: false the client still refuses the event, as a server would', async () => {
    const err = (await createClient(bodyFirst, { validate: false })
      .get('/')
      .catch((e: unknown) => e)) as PorticoError;
    expect(err.code).toBe('ERR_SPEC_VIOLATION');
    expect(err.rule).toBeUndefined();
    expect(err.message).toContain('http.response.body in state start');
  });

  it('hands violations to a custom onViolation instead of failing', async () => {
    const seen: string[] = [];
    const res = await createClient(bodyFirstQuiet, {
      validate: { onViolation: (e) => void seen.push(e.rule ?? '') },
    })
      .get('/')
      .catch((e: unknown) => e);
    // The violation went to the handler; the client itself refused the early body (no id), the app
    // caught that, and the response went out.
    expect(seen).toContain('ASYNC-HTTP-4');
    expect((res as { status?: number }).status).toBe(200);
  });

  it('an app returning without a response fails under the validator, and is a 500 without it', async () => {
    const silent: AsyncApp = async (scope) => {
      httpScope(scope);
    };
    await expect(createClient(silent).get('/')).rejects.toMatchObject({
      code: 'ERR_SPEC_VIOLATION',
      side: 'app',
    });
    const res = await createClient(silent, { validate: false }).get('/');
    expect(res.status).toBe(500);
  });

  it('refuses CR/LF in a response header value (nothing injected)', async () => {
    const injecting: AsyncApp = async (scope, _receive, send) => {
      httpScope(scope);
      await send({ type: 'http.response.start', status: 200, headers: [['x-a', 'b\r\nset-cookie: evil=1']] });
      await send({ type: 'http.response.body' });
    };
    await expect(createClient(injecting).get('/')).rejects.toMatchObject({ code: 'ERR_SPEC_VIOLATION' });
    await expect(createClient(injecting, { validate: false }).get('/')).rejects.toMatchObject({
      code: 'ERR_BAD_HEADER',
    });
    const res = await createClient(injecting, { validate: false, raiseAppErrors: false }).get('/');
    expect(res.status).toBe(500);
    expect(res.headerAll('set-cookie')).toEqual([]);
  });
});
