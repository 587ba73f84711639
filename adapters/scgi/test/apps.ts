/** Apps the SCGI adapter tests serve; each route shows one behaviour. */
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

type Reply = { status: number; headers: [string, string][]; body: Buffer };

function json(value: unknown): Reply {
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
  const respond = async (r: Reply) => {
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
    case '/hello':
      await respond({
        status: 200,
        headers: [['content-type', 'text/plain']],
        body: Buffer.from('Hello, world!\n'),
      });
      return;
    case '/redirect':
      await respond({
        status: 302,
        headers: [['location', 'http://example.test/there']],
        body: Buffer.alloc(0),
      });
      return;
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
    case '/slow-reader': {
      await sleep(Number(new URLSearchParams(s.queryString).get('ms') ?? '300'));
      const body = await readBody(receive);
      if (body === null) return;
      await respond(json({ length: body.length, sha256: createHash('sha256').update(body).digest('hex') }));
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
          variables: s.extensions.cgi?.variables,
          bodyLength: body.length,
          body: body.length <= 64 ? body.toString('latin1') : undefined,
          sha256: createHash('sha256').update(body).digest('hex'),
        }),
      );
    }
  }
};
