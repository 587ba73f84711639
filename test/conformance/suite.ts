/**
 * The adapter conformance suite: the same cases, run against every adapter through its
 * {@link ConformanceRunner} (uvicorn's, Hono's and srvx's shared-suite pattern). A runner file is a
 * few lines: `conformanceSuite(myRunner)`.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../../packages/server/test/rule.js';
import { conformanceApp, probeHandle } from './apps.js';
import { fetchJSON, fetchRaw, headerOf, open } from './client.js';
import type { ConformanceRunner, ConformanceServer } from './runner.js';

type Json = Record<string, unknown>;
let probeIds = 0;

/** Defines the suite for `runner` (call it at the top level of a `*.test.ts` file). */
export function conformanceSuite(runner: ConformanceRunner): void {
  describe(`conformance: ${runner.name}`, () => {
    let root: ConformanceServer;
    let mounted: ConformanceServer;
    beforeAll(async () => {
      root = await runner.start(conformanceApp, { rootPath: '' });
      mounted = await runner.start(conformanceApp, { rootPath: '/mount' });
    });
    afterAll(async () => {
      await root?.close();
      await mounted?.close();
    });
    // Where each server has the app: `rootPath` as asked, or the front end's own mount.
    const rootAt = () => root.mount ?? '';
    const mountAt = () => mounted.mount ?? '/mount';
    const front = runner.frontEnd;

    rule('SRV-SCOPE-1', 'GET with a query string', async () => {
      const scope = await fetchJSON(root.baseUrl, { path: `${rootAt()}/scope/items?a=1&b=%20x&c` });
      expect(scope).toMatchObject({
        type: 'http',
        method: 'GET',
        path: '/scope/items',
        rawPath: `${rootAt()}/scope/items`,
        queryString: 'a=1&b=%20x&c',
        rootPath: rootAt(),
      });
    });

    for (const size of [0, 1, 64 * 1024, 10 * 1024 * 1024]) {
      it(`POST with a ${size}-byte body`, async () => {
        const body = Buffer.alloc(size);
        for (let i = 0; i < size; i++) body[i] = (i * 31 + 7) & 0xff;
        const got = await fetchJSON(root.baseUrl, { method: 'POST', path: `${rootAt()}/body`, body });
        expect(got).toEqual({
          disconnected: false,
          length: size,
          events: expect.any(Number),
          sha256: createHash('sha256').update(body).digest('hex'),
          typesOk: true,
        });
      });
    }

    const chunked = ['first piece;', 'second;', 'x'.repeat(100_000), 'last'].map((s) => Buffer.from(s));
    const refused = runner.frontEnd?.chunkedUpload;
    if (refused !== undefined) {
      it(`chunked upload: the front end refuses it with ${refused.refusedWith} (${refused.reason})`, async () => {
        const res = await fetchRaw(root.baseUrl, {
          method: 'PUT',
          path: `${rootAt()}/body`,
          body: chunked,
          gapMs: 5,
          holdBodyMs: 5000,
        });
        expect(res.status).toBe(refused.refusedWith);
      });
    } else {
      it('chunked upload', async () => {
        const got = await fetchJSON(root.baseUrl, {
          method: 'PUT',
          path: `${rootAt()}/body`,
          body: chunked,
          gapMs: 5,
        });
        expect(got).toMatchObject({
          disconnected: false,
          length: Buffer.concat(chunked).length,
          sha256: createHash('sha256').update(Buffer.concat(chunked)).digest('hex'),
        });
      });
    }

    const repeated = runner.frontEnd?.repeatedHeaders;
    const repeatedTitle =
      repeated === undefined
        ? 'repeated headers stay separate, in order, names lowercased'
        : `repeated headers arrive as the front end passes them (${repeated.reason}), names lowercased`;
    rule('SRV-SCOPE-2', repeatedTitle, async () => {
      const scope = await fetchJSON(root.baseUrl, {
        path: `${rootAt()}/scope`,
        headers: [
          ['X-Repeat', 'one'],
          ['X-Repeat', 'two'],
          ['X-Other', 'o'],
        ],
      });
      const headers = scope.headers as [string, string][];
      expect(headers.filter(([n]) => n === 'x-repeat')).toEqual(
        repeated?.delivered ?? [
          ['x-repeat', 'one'],
          ['x-repeat', 'two'],
        ],
      );
      expect(headers.every(([n]) => n === n.toLowerCase())).toBe(true);
    });

    const noRequestURI = front?.noRequestURI;
    rule(
      'SRV-PATH-1',
      noRequestURI === undefined
        ? 'non-ASCII percent-encoded path'
        : `non-ASCII percent-encoded path, rawPath rebuilt (${noRequestURI.reason})`,
      async () => {
        const scope = await fetchJSON(root.baseUrl, {
          path: `${rootAt()}/scope/caf%C3%A9/%E2%9C%93/a%2Fb?q=%C3%A9`,
        });
        expect(scope).toMatchObject({
          path: '/scope/café/✓/a/b',
          rawPath: `${rootAt()}/scope/caf%C3%A9/%E2%9C%93/a${noRequestURI === undefined ? '%2F' : '/'}b`,
          queryString: 'q=%C3%A9',
        });
      },
    );

    rule('SRV-PATH-2', 'PATH_INFO under a rootPath, scope and environ through the sync bridge', async () => {
      const at = mountAt();
      expect(await fetchJSON(mounted.baseUrl, { path: `${at}/scope/x/y?z=1` })).toMatchObject({
        rootPath: at,
        path: '/scope/x/y',
        rawPath: `${at}/scope/x/y`,
      });
      expect(await fetchJSON(mounted.baseUrl, { path: `${at}/environ/caf%C3%A9?z=1` })).toMatchObject({
        SCRIPT_NAME: at,
        PATH_INFO: '/environ/café',
        QUERY_STRING: 'z=1',
        REQUEST_URI: `${at}/environ/caf%C3%A9?z=1`,
      });
      const outside = front?.outsideMount;
      if (outside !== undefined) {
        // the front end mounts the app: a path outside the mount is the front end's to answer
        expect((await fetchRaw(mounted.baseUrl, { path: '/scope/q' })).status).toBe(outside.status);
      } else {
        // a path a front end already stripped of the prefix keeps its whole path
        expect(await fetchJSON(mounted.baseUrl, { path: '/scope/q' })).toMatchObject({
          rootPath: '/mount',
          path: '/scope/q',
        });
      }
    });

    const underscore = runner.frontEnd?.underscoreHeaders;
    rule(
      ['SRV-ENV-1', 'SRV-ENV-2'],
      underscore === undefined
        ? 'never makes HTTP_PROXY from a Proxy header, and drops header names with "_"'
        : `never makes HTTP_PROXY from a Proxy header; header names with "_" are the front end's (${underscore.reason})`,
      async () => {
        const environ = await fetchJSON<{ http: Json }>(root.baseUrl, {
          path: `${rootAt()}/environ`,
          headers: [
            ['Proxy', 'http://evil.example:1'],
            ['X-Under_Score', 'spoof'],
            ['X-Under-Score', 'real'],
          ],
        });
        expect(environ.http).not.toHaveProperty('HTTP_PROXY');
        if (underscore === undefined) expect(environ.http.HTTP_X_UNDER_SCORE).toBe('real');
        else expect(underscore.values).toContain(environ.http.HTTP_X_UNDER_SCORE);
      },
    );

    rule('SRV-FLOW-1', 'streaming response: each chunk arrives before the next is sent', async () => {
      const id = `stream-${++probeIds}`;
      const p = probeHandle(root.probeDir, id);
      p.release(); // the head goes out with the first chunk
      const res = await open(root.baseUrl, {
        path: `${rootAt()}/stream?probe=${id}`,
        headers: [['x-probe', id]],
      });
      const reader = res[Symbol.asyncIterator]();
      let text = '';
      for (let i = 1; i <= 3; i++) {
        if (i > 1) p.release();
        while (!text.includes(`chunk ${i};`)) {
          const next = await reader.next();
          if (next.done) break;
          text += (next.value as Buffer).toString();
        }
        expect(text).toContain(`chunk ${i};`);
        expect(text).not.toContain(`chunk ${i + 1};`);
      }
      for (let next = await reader.next(); !next.done; next = await reader.next()) text += next.value;
      expect(text).toBe('chunk 1;chunk 2;chunk 3;');
    });

    rule('SRV-RESP-1', 'HEAD: the headers of GET, no body', async () => {
      const get = await fetchRaw(root.baseUrl, { path: `${rootAt()}/head` });
      const head = await fetchRaw(root.baseUrl, { method: 'HEAD', path: `${rootAt()}/head` });
      expect(get.body.toString()).toBe('hello, head');
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      expect(headerOf(head, 'content-type')).toBe('text/plain');
      expect(headerOf(head, 'content-length')).toBe(headerOf(get, 'content-length'));
    });

    const unparsed = front?.unparsedStatus;
    rule(
      'SRV-ERR-1',
      unparsed === undefined
        ? 'app error: 500, and the server goes on'
        : `app error: 500 in a Status header (${unparsed.reason}), and the server goes on`,
      async () => {
        const res = await fetchRaw(root.baseUrl, { path: `${rootAt()}/error` });
        if (unparsed === undefined) expect(res.status).toBe(500);
        else expect([res.status, headerOf(res, 'status')]).toEqual([200, '500 Internal Server Error']);
        expect(res.body.toString()).not.toContain('deliberate');
        const after = await fetchRaw(root.baseUrl, { path: `${rootAt()}/head` });
        expect(after.status).toBe(200);
      },
    );

    const abort = front?.clientAbort;
    const abortTitle =
      abort === undefined
        ? 'client abort mid-response: the app sees ERR_CLIENT_DISCONNECTED'
        : `client abort mid-response: the app ends by ${abort.outcome} (${abort.reason})`;
    rule('SRV-ERR-4', abortTitle, async () => {
      const id = `abort-${++probeIds}`;
      const p = probeHandle(root.probeDir, id);
      const res = await open(root.baseUrl, {
        path: `${rootAt()}/forever?probe=${id}`,
        headers: [['x-probe', id]],
      });
      let got = 0;
      for await (const chunk of res) {
        got += (chunk as Buffer).length;
        if (got > 50_000) break; // leaving the loop destroys the response: the client goes away
      }
      res.socket?.destroy();
      expect(await p.outcome(10_000)).toBe(abort?.outcome ?? 'ERR_CLIENT_DISCONNECTED');
    });
  });
}
