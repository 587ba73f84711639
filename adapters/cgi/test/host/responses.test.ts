/**
 * From a program's output to the response (RFC 3875 section 6; spec/servers.md SRV-CGI-8): document
 * responses, redirects, HEAD and bodyless statuses, Content-Length, streaming with backpressure both
 * ways, and every bad output answered 502. Programs in shell, Python (with and without the cgi
 * module) and Node, under the validator.
 */
import { createHash } from 'node:crypto';
import { isPorticoError } from '@portico/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../../../../packages/server/test/rule.js';
import { type CGIRoot, hostClient, makeRoot, until } from './helpers.js';

let dir: CGIRoot;
let host: ReturnType<typeof hostClient>;

beforeAll(() => {
  dir = makeRoot();
  host = hostClient(dir.root);
});
afterAll(() => dir.remove());

describe('document responses', () => {
  rule('SRV-CGI-8', 'Status, repeated fields and an empty field reach the client', async () => {
    const res = await host.client.get('/cgi-bin/status.sh');
    expect(res.status).toBe(418);
    expect(res.headerAll('set-cookie')).toEqual(['a=1', 'b=2']);
    expect(res.header('x-empty')).toBe('');
    expect(res.header('status')).toBeNull();
    expect(res.text()).toBe('short and stout\n');
  });

  it('Python with the cgi module: a GET query and a POST form', async () => {
    const get = await host.client.get('/cgi-bin/form.py?name=ada&tag=a&tag=b');
    expect(get.status).toBe(201);
    expect(get.json()).toEqual({ name: 'ada', tag: ['a', 'b'] });
    const post = await host.client.post('/cgi-bin/form.py', {
      body: 'name=grace+hopper&lang=cobol',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(post.json()).toEqual({ name: 'grace hopper', lang: 'cobol' });
  });

  it('Python with the cgi module: a multipart upload', async () => {
    const boundary = 'xYzZy';
    const file = 'x'.repeat(5000);
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="title"',
      '',
      'report',
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="a.txt"',
      'Content-Type: text/plain',
      '',
      file,
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const res = await host.client.post('/cgi-bin/form.py', {
      body,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    expect(res.json()).toEqual({ title: 'report', file: { filename: 'a.txt', length: 5000 } });
  });

  it('Python without the cgi module: a 1 MiB POST arrives whole', async () => {
    const body = Buffer.alloc(1 << 20, 7);
    const res = await host.client.post('/cgi-bin/upload.py', { body });
    expect(res.text()).toBe(`${body.length} ${createHash('sha256').update(body).digest('hex')}\n`);
  });

  rule('SRV-CGI-8', 'HEAD: the head of the response, its Content-Length, no body', async () => {
    const res = await host.client.head('/cgi-bin/content-length.sh');
    expect(res.status).toBe(200);
    expect(res.header('content-length')).toBe('5');
    expect(res.body.length).toBe(0);
    const hello = await host.client.head('/cgi-bin/hello.sh');
    expect(hello.header('x-script')).toBe('hello.sh');
    expect(hello.body.length).toBe(0);
  });

  rule('SRV-CGI-8', '204: the body the program wrote is not sent', async () => {
    const res = await host.client.get('/cgi-bin/no-content.sh');
    expect(res.status).toBe(204);
    expect(res.body.length).toBe(0);
  });

  rule('SRV-CGI-8', 'a body longer than its Content-Length is cut at it (and logged)', async () => {
    const mark = host.logger.records.length;
    const res = await host.client.get('/cgi-bin/content-length.sh?more');
    expect(res.status).toBe(200);
    expect(res.text()).toBe('01234');
    expect(host.logger.records.slice(mark).map((r) => r.message)).toContain(
      'cgiHost: program wrote more than its Content-Length; dropped',
    );
  });

  rule('SRV-CGI-8', 'a body shorter than its Content-Length fails the response (cut short)', async () => {
    const error = await host.client.get('/cgi-bin/content-length.sh?less').then(
      () => null,
      (err: unknown) => err,
    );
    expect(isPorticoError(error, 'ERR_CGI_BAD_RESPONSE')).toBe(true);
  });
});

describe('redirects (RFC 3875 section 6.2)', () => {
  rule(
    'SRV-CGI-8',
    'a local redirect runs the other program, as a GET, with the new PATH_INFO and query',
    async () => {
      const res = await host.client.post('/cgi-bin/redirect.sh?local', { body: 'dropped' });
      expect(res.status).toBe(200);
      expect(res.header('x-script')).toBe('hello.sh');
      expect(res.text()).toContain('query=from=local\n');
      expect(res.text()).toContain('path_info=/after\n');
      expect(res.text()).toContain('method=GET\n');
    },
  );

  rule('SRV-CGI-8', 'a client redirect is a 302 with the Location', async () => {
    const res = await host.client.get('/cgi-bin/redirect.sh?client');
    expect(res.status).toBe(302);
    expect(res.header('location')).toBe('http://example.com/elsewhere');
  });

  rule('SRV-CGI-8', 'a client redirect with a document keeps its status and body', async () => {
    const res = await host.client.get('/cgi-bin/redirect.sh?doc');
    expect(res.status).toBe(301);
    expect(res.header('location')).toBe('http://example.com/moved');
    expect(res.text()).toBe('moved\n');
  });

  rule('SRV-CGI-8', 'a local redirect outside the mount point becomes a 302', async () => {
    const res = await host.client.get('/cgi-bin/redirect.sh?outside');
    expect(res.status).toBe(302);
    expect(res.header('location')).toBe('/not-cgi/page?x=1');
  });

  rule('SRV-CGI-8', 'a local redirect loop stops at 10 with a 500', async () => {
    const res = await host.client.get('/cgi-bin/redirect.sh?loop');
    expect(res.status).toBe(500);
  });
});

describe('bad output is answered 502', () => {
  const cases = [
    'no-output',
    'no-output-fail',
    'headers-forever',
    'no-end',
    'garbage',
    'status-letters',
    'status-short',
    'status-long',
    'status-range',
    'status-twice',
    'no-cgi-field',
    'folded',
    'chunked',
  ];
  for (const which of cases) {
    rule('SRV-CGI-8', `502 for ${which}`, async () => {
      const mark = host.logger.records.length;
      const res = await host.client.get(`/cgi-bin/bad.sh?${which}`);
      expect(res.status).toBe(502);
      expect(res.text()).toBe('502 Bad Gateway\n');
      expect(host.logger.records.slice(mark)).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: expect.stringContaining('bad response from program'),
        }),
      );
    });
  }

  it('the program itself is fine: bad.sh with no argument answers 200', async () => {
    expect((await host.client.get('/cgi-bin/bad.sh')).text()).toBe('fine\n');
  });

  rule('SRV-CGI-8', "a program's standard error is logged line by line", async () => {
    const mark = host.logger.records.length;
    await host.client.get('/cgi-bin/bad.sh?no-output-fail');
    const records = host.logger.records.slice(mark);
    expect(records).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'cgiHost: program stderr: failing on purpose',
        fields: expect.objectContaining({ program: '/cgi-bin/bad.sh' }),
      }),
    );
  });
});

describe('streaming and backpressure', () => {
  it('a streamed response reaches the client chunk by chunk as the program writes it', async () => {
    const res = await host.client.stream('GET', '/cgi-bin/stream.mjs?count=4&gap=150');
    expect(res.status).toBe(200);
    const arrivals: [string, number][] = [];
    for await (const chunk of res) arrivals.push([Buffer.from(chunk).toString(), Date.now()]);
    const lines = arrivals
      .map(([text]) => text)
      .join('')
      .trim()
      .split('\n');
    expect(lines.map((l) => l.split(' at ')[0])).toEqual(['chunk 0', 'chunk 1', 'chunk 2', 'chunk 3']);
    // Each chunk arrived on its own, spread over the program's run (not all at its end).
    expect(arrivals.length).toBeGreaterThanOrEqual(4);
    expect(arrivals.at(-1)![1] - arrivals[0]![1]).toBeGreaterThanOrEqual(300);
  });

  rule('SRV-CGI-8', "the program's writes wait for a client that does not read", async () => {
    const { client, logger } = hostClient(dir.root);
    const res = await client.stream('GET', '/cgi-bin/big.mjs?mib=10');
    expect(res.header('content-length')).toBe(String(10 << 20));
    const iterator = res[Symbol.asyncIterator]();
    const first = await iterator.next();
    let received = first.done === true ? 0 : first.value.length;
    await new Promise((r) => setTimeout(r, 500));
    const written = () => logger.records.some((r) => r.message === 'cgiHost: program stderr: all written');
    expect(written()).toBe(false);
    const hash = createHash('sha256');
    if (first.done !== true) hash.update(first.value);
    for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) {
      received += r.value.length;
      hash.update(r.value);
    }
    expect(received).toBe(10 << 20);
    const block = Buffer.alloc(65536);
    for (let i = 0; i < block.length; i++) block[i] = i % 251;
    const expected = createHash('sha256');
    for (let i = 0; i < 160; i++) expected.update(block);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
    // The program wrote everything once the client read, and says so on stderr after its response
    // is complete: the host lets it run to its exit and logs that line (SRV-CGI-8).
    await res.finished;
    expect(await until(written)).toBe(true);
  });

  rule('SRV-CGI-8', 'the request body is pulled only as fast as the program reads it', async () => {
    const piece = Buffer.alloc(65536, 1);
    const total = 16 << 20;
    let pulled = 0;
    async function* body() {
      for (let sent = 0; sent < total; sent += piece.length) {
        pulled += piece.length;
        yield piece;
      }
    }
    const pending = host.client.post('/cgi-bin/upload.py?slow=800', {
      body: body(),
    });
    await new Promise((r) => setTimeout(r, 500));
    const pulledWhileAsleep = pulled;
    const res = await pending;
    const expected = createHash('sha256');
    for (let i = 0; i < total / piece.length; i++) expected.update(piece);
    expect(res.text()).toBe(`${total} ${expected.digest('hex')}\n`);
    expect(pulledWhileAsleep).toBeLessThan(4 << 20);
  });
});
