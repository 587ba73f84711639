import { asyncApp, type SendEvent } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { contentLength } from '../../src/http/index.js';
import { notFound } from '../../src/index.js';
import { firstHeader, headerValue, headerValues } from '../../src/shared/headers.js';
import { holdStartForWholeBody } from '../../src/shared/hold-start.js';
import { plainTextResponse, sendPlainText } from '../../src/shared/plain-response.js';
import { callWithScope } from '../helpers/direct.js';

const text = (body: Uint8Array): string => new TextDecoder().decode(body);

describe('sendPlainText (the one plain-text answer)', () => {
  it('sends text/plain; charset=utf-8 with the UTF-8 byte length, then the extra headers', async () => {
    const sent: SendEvent[] = [];
    await sendPlainText(async (e) => void sent.push(e), 'GET', 403, 'naïve ☃', [['vary', 'Origin']]);
    expect(sent).toEqual([
      {
        type: 'http.response.start',
        status: 403,
        headers: [
          ['content-type', 'text/plain; charset=utf-8'],
          ['content-length', '10'],
          ['vary', 'Origin'],
        ],
      },
      { type: 'http.response.body', body: new TextEncoder().encode('naïve ☃') },
    ]);
  });

  it('keeps the headers of GET for HEAD but sends no body bytes (RFC 9110 section 9.3.2)', () => {
    const { start, body } = plainTextResponse('HEAD', 404, 'Not Found');
    expect(start.headers).toEqual([
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', '9'],
    ]);
    expect(body.length).toBe(0);
  });

  it('sends no content headers and no body for 204 and 304', () => {
    for (const status of [204, 304]) {
      const { start, body } = plainTextResponse('GET', status, 'ignored', [['allow', 'GET']]);
      expect(start.headers).toEqual([['allow', 'GET']]);
      expect(body.length).toBe(0);
    }
  });

  it('answers through the validator in a real app', async () => {
    const app = asyncApp(async function plainApp(scope, _receive, send) {
      if (scope.type === 'http') await sendPlainText(send, scope.method, 413, 'Content Too Large');
    });
    const res = await createClient(app).get('/');
    expect(res.status).toBe(413);
    expect(res.header('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.text()).toBe('Content Too Large');
  });
});

describe('notFound', () => {
  it('answers 404 Not Found, and no body bytes for HEAD', async () => {
    const [getStart, getBody] = await callWithScope(notFound);
    expect(getStart).toMatchObject({ status: 404 });
    expect(getBody?.type === 'http.response.body' && text(getBody.body ?? new Uint8Array(0))).toBe(
      'Not Found',
    );
    const [headStart, headBody] = await callWithScope(notFound, { method: 'HEAD' });
    expect(headStart).toMatchObject({
      status: 404,
      headers: expect.arrayContaining([['content-length', '9']]),
    });
    expect(headBody).toEqual({ type: 'http.response.body', body: new Uint8Array(0) });
  });
});

describe('header lookup', () => {
  const headers: [string, string][] = [
    ['Accept', 'text/html'],
    ['x-a', '1'],
    ['X-A', '2'],
  ];

  it('compares names case-insensitively and keeps order', () => {
    expect(firstHeader(headers, 'accept')).toBe('text/html');
    expect(firstHeader(headers, 'x-a')).toBe('1');
    expect(headerValues(headers, 'x-a')).toEqual(['1', '2']);
    expect(headerValue(headers, 'x-a')).toBe('1, 2');
    expect(firstHeader(headers, 'missing')).toBeUndefined();
    expect(headerValue(undefined, 'x-a')).toBeUndefined();
  });
});

describe('holdStartForWholeBody', () => {
  const start = { type: 'http.response.start', status: 200, headers: [] } as const;

  it('adds the header for a whole first body, not for a stream', async () => {
    const sent: SendEvent[] = [];
    const hold = holdStartForWholeBody(
      async (e) => void sent.push(e),
      async () => ({ type: 'http.request', body: new Uint8Array(0), moreBody: false }),
      () => true,
      (body) => ['x-len', String(body.length)],
    );
    await hold.send(start);
    expect(sent).toEqual([]);
    await hold.send({ type: 'http.response.body', body: new Uint8Array(3) });
    expect(sent[0]).toEqual({ ...start, headers: [['x-len', '3']] });
    sent.length = 0;
    await hold.send(start);
    await hold.send({ type: 'http.response.body', body: new Uint8Array(3), moreBody: true });
    expect(sent[0]).toEqual(start);
  });

  it('rejects a start it would hold once its receive gave http.disconnect (ASYNC-HTTP-9)', async () => {
    const sent: SendEvent[] = [];
    const hold = holdStartForWholeBody(
      async (e) => void sent.push(e),
      async () => ({ type: 'http.disconnect' }),
      () => true,
      (body) => ['x-len', String(body.length)],
    );
    expect((await hold.receive()).type).toBe('http.disconnect');
    await expect(hold.send(start)).rejects.toMatchObject({ code: 'ERR_CLIENT_DISCONNECTED' });
    await hold.flush();
    expect(sent).toEqual([]);
  });

  it('contentLength() lets go of a start the app sent without a body when the app returns', async () => {
    const app = contentLength()(
      asyncApp(async function startOnlyApp(scope, _receive, send) {
        if (scope.type === 'http') await send({ type: 'http.response.start', status: 200, headers: [] });
      }),
    );
    const sent = await callWithScope(app);
    expect(sent).toEqual([{ type: 'http.response.start', status: 200, headers: [] }]);
  });
});
