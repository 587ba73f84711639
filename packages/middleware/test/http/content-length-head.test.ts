import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { contentLength, head } from '../../src/http/index.js';
import { bytes, recorded, replyApps } from './apps.js';

const TYPE: [string, string] = ['content-type', 'text/plain'];

describe('contentLength()', () => {
  for (const { label, app } of replyApps({ headers: [TYPE], chunks: [bytes('héllo')] })) {
    it(`adds Content-Length to a body sent whole (${label} app), not to HEAD`, async () => {
      const client = createClient(contentLength()(app));
      const res = await client.get('/');
      expect(res.text()).toBe('héllo');
      expect(res.headerAll('content-length')).toEqual(['6']);
      const { app: rec, events } = recorded(contentLength()(app));
      await createClient(rec).head('/');
      const start = events.find((e) => e.type === 'http.response.start');
      expect(start && 'headers' in start && start.headers?.some(([n]) => n === 'content-length')).toBe(false);
    });
  }

  for (const { label, app } of replyApps({ headers: [TYPE], chunks: [bytes('a'), bytes('b')] })) {
    it(`leaves a streamed body alone (${label} app)`, async () => {
      const { app: rec, events } = recorded(contentLength()(app));
      const res = await createClient(rec).get('/');
      expect(res.text()).toBe('ab');
      expect(res.header('content-length')).toBeNull();
      expect(events.filter((e) => e.type === 'http.response.body').length).toBeGreaterThanOrEqual(2);
    });
  }

  const untouched: [string, Parameters<typeof replyApps>[0]][] = [
    ['a 204', { status: 204, headers: [] }],
    ['a 304', { status: 304, headers: [['etag', '"x"']] }],
    ['an app Content-Length', { headers: [TYPE, ['Content-Length', '5']], chunks: [bytes('hello')] }],
  ];
  for (const [what, reply] of untouched) {
    for (const { label, app } of replyApps(reply)) {
      it(`leaves ${what} alone (${label} app)`, async () => {
        const { app: rec, events } = recorded(contentLength()(app));
        const res = await createClient(rec).get('/');
        expect(res.status).toBe(reply.status ?? 200);
        const start = events.find((e) => e.type === 'http.response.start');
        const lengths = (start && 'headers' in start ? (start.headers ?? []) : []).filter(
          ([n]) => n.toLowerCase() === 'content-length',
        );
        expect(lengths.map(([, v]) => v)).toEqual(what === 'an app Content-Length' ? ['5'] : []);
      });
    }
  }
});

describe('head()', () => {
  for (const { label, app, seen } of replyApps({
    headers: [TYPE, ['content-length', '6']],
    chunks: [bytes('abc'), bytes('def')],
  })) {
    it(`drops the body of a HEAD response, keeps its head (${label} app)`, async () => {
      const { app: rec, events } = recorded(head()(app));
      const res = await createClient(rec).head('/');
      expect(res.status).toBe(200);
      expect(res.header('content-length')).toBe('6');
      expect(seen.at(-1)).toBe('HEAD');
      const bodies = events.filter((e) => e.type === 'http.response.body');
      expect(bodies.every((e) => 'body' in e && e.body?.length === 0)).toBe(true);
      expect(bodies.at(-1)).toMatchObject({ moreBody: false });
    });

    it(`passes GET through (${label} app)`, async () => {
      const { app: rec, events } = recorded(head()(app));
      const res = await createClient(rec).get('/');
      expect(res.text()).toBe('abcdef');
      expect(
        events
          .filter((e) => e.type === 'http.response.body')
          .map((e) => ('body' in e ? e.body?.length : -1))
          .reduce((a, b) => (a ?? 0) + (b ?? 0), 0),
      ).toBe(6);
      expect(seen.at(-1)).toBe('GET');
    });
  }
});
