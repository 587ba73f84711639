// @ts-check
/**
 * The app of the FastCGI bench's transfer runs (bench/fastcgi.js), served by `portico serve` on both
 * the fastcgi and the http adapter:
 * - `GET /`: the hello response of apps/hello-async.js (the runner's readiness check);
 * - `GET /download`: 100 MiB of `x` in 64 KiB body events (one buffer, sent 1600 times);
 * - `POST /upload`: reads the request body to the end and answers its length in bytes (`104857600\n`).
 * apps/php/{hello,download,upload}.php do the same on PHP-FPM.
 */

const HELLO = new TextEncoder().encode('Hello, world!\n');
const CHUNK = new Uint8Array(64 * 1024).fill(0x78);
const CHUNKS = 1600; // 1600 x 64 KiB = 100 MiB

/** @type {import('@portico/spec').AsyncApp} */
export default async function transfer(scope, receive, send) {
  if (scope.type !== 'http') throw new Error(`transfer: unsupported scope type ${scope.type}`);
  if (scope.path === '/download') {
    await send({
      type: 'http.response.start',
      status: 200,
      headers: [
        ['content-type', 'application/octet-stream'],
        ['content-length', String(CHUNK.byteLength * CHUNKS)],
      ],
    });
    for (let i = 1; i <= CHUNKS; i++) {
      await send({ type: 'http.response.body', body: CHUNK, moreBody: i < CHUNKS });
    }
    return;
  }
  if (scope.path === '/upload') {
    let total = 0;
    for (;;) {
      const event = await receive();
      if (event.type !== 'http.request') return; // http.disconnect: the client is gone
      total += event.body.byteLength;
      if (!event.moreBody) break;
    }
    return text(send, new TextEncoder().encode(`${total}\n`));
  }
  return text(send, HELLO);
}

/**
 * A `200 text/plain` response with `bytes` as its body.
 * @param {import('@portico/spec').Send} send
 * @param {Uint8Array} bytes
 */
async function text(send, bytes) {
  await send({
    type: 'http.response.start',
    status: 200,
    headers: [
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', String(bytes.byteLength)],
    ],
  });
  await send({ type: 'http.response.body', body: bytes });
}
