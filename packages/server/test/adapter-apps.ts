/**
 * The app the socket adapters' tests serve (FastCGI, SCGI); each route shows one behaviour. Routes
 * that need an extension (`/filter`, `/authorize`, `/stderr`) are FastCGI's.
 */
import { createHash } from 'node:crypto';
import type { AsyncApp, HTTPScope, Receive } from '@portico/spec';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the apps observed, for tests that check what an app saw (a disconnect, a rejected send). */
export const seen: { path: string; event: string }[] = [];

async function readBody(receive: Receive): Promise<Buffer | null> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request') return null;
    chunks.push(event.body);
    if (!event.moreBody) return Buffer.concat(chunks);
  }
}

function json(value: unknown): { status: number; headers: [string, string][]; body: Buffer } {
  return {
    status: 200,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(JSON.stringify(value)),
  };
}

export const testApp: AsyncApp = async (scope, receive, send) => {
  if (scope.type !== 'http') return;
  const s = scope as HTTPScope;
  const route = s.path;
  const respond = async (r: { status: number; headers: [string, string][]; body: Buffer }) => {
    await send({ type: 'http.response.start', status: r.status, headers: r.headers });
    await send({ type: 'http.response.body', body: r.body });
  };
  switch (route) {
    case '/stream': {
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
      for (let i = 0; i < 3; i++) {
        await send({ type: 'http.response.body', body: Buffer.from(`part ${i}\n`), moreBody: true });
        await sleep(40);
      }
      await send({ type: 'http.response.body', body: Buffer.from('end\n') });
      return;
    }
    case '/big': {
      const body = Buffer.alloc(200_000);
      for (let i = 0; i < body.length; i++) body[i] = i % 251;
      await respond({ status: 200, headers: [['content-type', 'application/octet-stream']], body });
      return;
    }
    case '/huge': {
      // One send() of 8 MiB: on a shared connection it must not hold the other responses back. The
      // pause lets the test's second request begin first (the connection is then shared).
      await sleep(30);
      await respond({ status: 200, headers: [], body: Buffer.alloc(8 << 20, 'h') });
      return;
    }
    case '/small-later': {
      await sleep(40);
      await respond({ status: 200, headers: [], body: Buffer.from('small') });
      return;
    }
    case '/text':
      await respond({
        status: 200,
        headers: [['content-type', 'text/plain']],
        body: Buffer.from('Hello, world!\n'),
      });
      return;
    case '/fail-before':
      throw new Error('boom before start');
    case '/fail-mid': {
      await send({ type: 'http.response.start', status: 200, headers: [] });
      await send({ type: 'http.response.body', body: Buffer.from('partial'), moreBody: true });
      await sleep(10);
      throw new Error('boom mid-response');
    }
    case '/crlf':
      await send({
        type: 'http.response.start',
        status: 200,
        headers: [['x-bad', 'a\r\nSet-Cookie: evil=1']],
      });
      await send({ type: 'http.response.body', body: Buffer.from('should not be sent') });
      return;
    case '/te':
      await send({
        type: 'http.response.start',
        status: 200,
        headers: [
          ['transfer-encoding', 'chunked'],
          ['content-type', 'text/plain'],
        ],
      });
      await send({ type: 'http.response.body', body: Buffer.from('one'), moreBody: true });
      await send({ type: 'http.response.body', body: Buffer.from('two') });
      return;
    case '/location200':
      await respond({ status: 200, headers: [['location', '/elsewhere']], body: Buffer.from('here') });
      return;
    case '/redirect':
      await respond({
        status: 302,
        headers: [['location', 'http://example.test/there']],
        body: Buffer.alloc(0),
      });
      return;
    case '/stderr': {
      s.extensions.cgi?.stderr?.('a line for the error log\n');
      await respond({ status: 200, headers: [], body: Buffer.from('ok') });
      return;
    }
    case '/wait-disconnect': {
      // Reads the body (or waits) until the client is gone.
      for (;;) {
        const event = await receive();
        if (event.type === 'http.disconnect') {
          seen.push({ path: route, event: 'http.disconnect' });
          return;
        }
      }
    }
    case '/stream-until-gone': {
      await send({ type: 'http.response.start', status: 200, headers: [] });
      try {
        for (let i = 0; i < 500; i++) {
          await send({ type: 'http.response.body', body: Buffer.from(`chunk ${i}\n`), moreBody: true });
          await sleep(10);
        }
        await send({ type: 'http.response.body', body: Buffer.alloc(0) });
      } catch (err) {
        seen.push({ path: route, event: (err as { code?: string }).code ?? String(err) });
      }
      return;
    }
    case '/slow-reader': {
      await sleep(Number(new URLSearchParams(s.queryString).get('ms') ?? '300'));
      const body = await readBody(receive);
      if (body === null) return;
      await respond(json({ length: body.length, sha256: createHash('sha256').update(body).digest('hex') }));
      return;
    }
    case '/filter': {
      const body = await readBody(receive);
      const data = s.extensions.fastcgi?.data;
      const pieces: Uint8Array[] = [];
      if (data !== undefined) {
        for (;;) {
          const piece = await data.receive();
          pieces.push(piece.body);
          if (!piece.moreBody) break;
        }
      }
      await respond(
        json({
          role: s.extensions.fastcgi?.role,
          stdin: body?.toString('latin1'),
          data: Buffer.concat(pieces).toString('latin1').toUpperCase(),
          length: data?.length,
          lastModified: data?.lastModified,
        }),
      );
      return;
    }
    case '/authorize': {
      const token = s.headers.find(([n]) => n === 'x-token')?.[1];
      if (token === 'good') {
        await respond({ status: 200, headers: [['Variable-AUTH_USER', 'bob']], body: Buffer.alloc(0) });
      } else {
        await respond({
          status: 403,
          headers: [['content-type', 'text/plain']],
          body: Buffer.from('no entry\n'),
        });
      }
      return;
    }
    default: {
      const body = await readBody(receive);
      if (body === null) return;
      await respond(
        json({
          method: s.method,
          path: s.path,
          rawPath: s.rawPath,
          rootPath: s.rootPath,
          queryString: s.queryString,
          scheme: s.scheme,
          httpVersion: s.httpVersion,
          headers: s.headers,
          client: s.client,
          server: s.server,
          state: s.state,
          role: s.extensions.fastcgi?.role,
          requestId: s.extensions.fastcgi?.requestId,
          variables: s.extensions.cgi?.variables,
          bodyLength: body.length,
          body: body.length <= 64 ? body.toString('latin1') : undefined,
          sha256: createHash('sha256').update(body).digest('hex'),
        }),
      );
    }
  }
};
