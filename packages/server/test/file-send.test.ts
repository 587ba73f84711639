import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPorticoError } from '@portico/spec';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeCycle, memoryLogger, runApp, scope } from './fake-cycle.js';
import { rule } from './rule.js';

const dir = mkdtempSync(join(tmpdir(), 'portico-pathsend-'));
const file = join(dir, 'data.bin');
const content = Buffer.alloc(200_000, 'x');
content.write('start', 0);
content.write('end', content.length - 3);
writeFileSync(file, content);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pathsend = (path: string) => ({ type: 'http.response.pathsend', path }) as const;

describe('http.response.pathsend', () => {
  it('sends the file as the body with its content-length', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send({
        type: 'http.response.start',
        status: 200,
        headers: [['content-type', 'application/octet-stream']],
      });
      await send(pathsend(file));
    });
    expect(cycle.wire[0]).toMatchObject({
      op: 'head',
      headers: [
        ['content-type', 'application/octet-stream'],
        ['content-length', String(content.length)],
      ],
    });
    expect(cycle.bodyText).toBe(content.toString('latin1'));
    expect(cycle.wire.at(-1)).toMatchObject({ end: true });
    expect(cycle.bytesSent).toBe(content.length);
  });

  rule('SRV-FLOW-1', 'waits for drain between chunks', async () => {
    const cycle = new FakeCycle(memoryLogger(), { writable: false });
    const done = cycle.run(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send(pathsend(file));
    }, scope());
    for (let i = 0; i < 20 && cycle.response < 4; i++) {
      await new Promise((r) => setTimeout(r, 5));
      cycle.drained();
    }
    await done;
    expect(cycle.drainRequested).toBeGreaterThan(1);
    expect(cycle.bodyText.length).toBe(content.length);
  });

  it('sends only the head for HEAD', async () => {
    const cycle = await runApp(
      async (_s, _r, send) => {
        await send({ type: 'http.response.start', status: 200 });
        await send(pathsend(file));
      },
      { isHead: true },
    );
    expect(cycle.wire).toEqual([
      { op: 'head', status: 200, headers: [['content-length', String(content.length)]], body: '', end: true },
    ]);
  });

  it('a missing file rejects the send and the response is a 500 (nothing was written)', async () => {
    let rejected: unknown;
    const cycle = await runApp(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send(pathsend(join(dir, 'missing'))).catch((e: unknown) => {
        rejected = e;
        throw e;
      });
    });
    expect(isPorticoError(rejected, 'ERR_SPEC_VIOLATION')).toBe(true);
    expect((rejected as Error).message).toContain('ENOENT');
    expect(cycle.wire).toEqual([expect.objectContaining({ status: 500 })]);
  });

  it('a directory is refused', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send(pathsend(dir));
    });
    expect(cycle.wire).toEqual([expect.objectContaining({ status: 500 })]);
  });

  rule('SRV-RESP-2', 'a declared content-length that differs from the file size is refused', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '5']] });
      await send(pathsend(file));
    });
    expect(cycle.wire).toEqual([expect.objectContaining({ status: 500 })]);
  });

  it('keeps the response open for trailers when they were announced', async () => {
    const cycle = await runApp(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200, trailers: true });
      await send(pathsend(file));
      await send({ type: 'http.response.trailers', headers: [['x-sum', '1']] });
    });
    expect(cycle.wire[0]).toMatchObject({ headers: [] });
    expect(cycle.wire.at(-1)).toEqual({ op: 'trailers', headers: [['x-sum', '1']] });
    expect(cycle.wire.some((w) => 'end' in w && w.end)).toBe(false);
  });
});
