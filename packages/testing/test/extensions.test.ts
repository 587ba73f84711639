import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AsyncApp } from '@portico/spec';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/index.js';
import { enc, httpScope } from './apps.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('extensions', () => {
  it('collects trailers when http.response.trailers is offered', async () => {
    const app: AsyncApp = async (scope, _receive, send) => {
      httpScope(scope);
      await send({
        type: 'http.response.start',
        status: 200,
        headers: [['trailer', 'x-checksum']],
        trailers: true,
      });
      await send({ type: 'http.response.body', body: enc('data') });
      await send({ type: 'http.response.trailers', headers: [['x-checksum', 'abc']], moreTrailers: true });
      await send({ type: 'http.response.trailers', headers: [['x-more', '1']] });
    };
    const client = createClient(app, { extensions: { 'http.response.trailers': {} } });
    const res = await client.get('/');
    expect(res.text()).toBe('data');
    expect(res.trailers).toEqual([
      ['x-checksum', 'abc'],
      ['x-more', '1'],
    ]);
    const streamed = await client.stream('GET', '/');
    expect(streamed.trailers).toBeNull();
    await streamed.readAll();
    expect(streamed.trailers).toEqual([
      ['x-checksum', 'abc'],
      ['x-more', '1'],
    ]);
  });

  it('refuses trailers when the extension is not offered', async () => {
    const app: AsyncApp = async (scope, _receive, send) => {
      httpScope(scope);
      await send({ type: 'http.response.start', status: 200, trailers: true });
      await send({ type: 'http.response.body' });
    };
    await expect(createClient(app).get('/')).rejects.toMatchObject({ rule: 'EXT-TRAILERS-1' });
    await expect(createClient(app, { validate: false }).get('/')).rejects.toThrow(/not offered/);
  });

  it('records 103 early hints before the response', async () => {
    const app: AsyncApp = async (scope, _receive, send) => {
      httpScope(scope);
      await send({ type: 'http.response.early_hints', headers: [['link', '</a.css>; rel=preload']] });
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body' });
    };
    const res = await createClient(app, { extensions: { 'http.response.early_hints': {} } }).get('/');
    expect(res.earlyHints).toEqual([[['link', '</a.css>; rel=preload']]]);
  });

  it('sends a file by path with http.response.pathsend', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portico-testing-'));
    dirs.push(dir);
    const file = join(dir, 'f.bin');
    const bytes = new Uint8Array([1, 2, 3, 250]);
    await writeFile(file, bytes);
    const app: AsyncApp = async (scope, _receive, send) => {
      httpScope(scope);
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.pathsend', path: file });
    };
    const res = await createClient(app, { extensions: { 'http.response.pathsend': {} } }).get('/');
    expect(res.body).toEqual(bytes);
  });
});
