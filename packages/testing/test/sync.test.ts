import type { Environ, StartResponse, SyncApp } from '@portico/spec';
import { syncApp } from '@portico/spec';
import { describe, expect, it } from 'vitest';
import { createClient, withClient } from '../src/index.js';
import { enc, helloAsync } from './apps.js';

/** The hello app in the sync interface. */
const helloSync: SyncApp = (_environ: Environ, startResponse: StartResponse) => {
  startResponse('200 OK', [
    ['content-type', 'text/plain; charset=utf-8'],
    ['content-length', '12'],
  ]);
  return [enc('Hello, world')];
};

describe('sync apps', () => {
  it('are detected and run through the bridge', () => {
    expect(createClient(helloSync).interface).toBe('sync');
    expect(createClient(helloAsync).interface).toBe('async');
  });

  it('give the same response as the async app', async () => {
    const fromSync = await createClient(helloSync).get('/');
    const fromAsync = await createClient(helloAsync).get('/');
    expect(fromSync.status).toBe(200);
    expect(fromSync.headers).toEqual(fromAsync.headers);
    expect(fromSync.body).toEqual(fromAsync.body);
    expect(fromSync.text()).toBe('Hello, world');
  });

  it('see environ built from the scope, and read the request body synchronously', async () => {
    const echo = syncApp((environ: Environ, startResponse: StartResponse) => {
      const body = environ['portico.input'].read();
      const info = {
        method: environ.REQUEST_METHOD,
        scriptName: environ.SCRIPT_NAME,
        pathInfo: environ.PATH_INFO,
        query: environ.QUERY_STRING,
        host: environ.HTTP_HOST,
        body: new TextDecoder().decode(body),
      };
      startResponse('200 OK', [['content-type', 'application/json']]);
      return [enc(JSON.stringify(info))];
    });
    async function* pieces() {
      yield 'hel';
      yield 'lo';
    }
    const res = await createClient(echo, { rootPath: '/app' }).post('/app/x%2Fy?a=1', { body: pieces() });
    expect(res.json()).toEqual({
      method: 'POST',
      scriptName: '/app',
      pathInfo: '/x/y',
      query: 'a=1',
      host: 'testserver',
      body: 'hello',
    });
  });

  it('have no lifespan: startup and shutdown resolve at once', async () => {
    const result = await withClient(helloSync, async (client) => (await client.get('/')).status);
    expect(result).toBe(200);
  });

  it('a sync app that throws rejects the request', async () => {
    const failing: SyncApp = (_environ, _startResponse) => {
      throw new Error('sync boom');
    };
    await expect(createClient(failing).get('/')).rejects.toThrow('sync boom');
  });

  it('run under the sync validator by default: startResponse twice without excInfo fails the request', async () => {
    const twice: SyncApp = (_environ, startResponse) => {
      startResponse('200 OK', []);
      try {
        startResponse('500 Internal Server Error', []);
      } catch {
        // swallowed: the client still fails the request with the violation
      }
      return [enc('x')];
    };
    await expect(createClient(twice).get('/')).rejects.toMatchObject({
      code: 'ERR_SPEC_VIOLATION',
      side: 'app',
    });
  });
});
