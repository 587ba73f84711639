/**
 * Calling an app directly with a hand-built `http` scope, for requests the test client cannot make
 * (no `Host` header, a header value holding CR LF, as a buggy proxy might pass on).
 */

import type { AsyncApp, HTTPScope, SendEvent } from '@portico/spec';

/**
 * Calls `app` with an `http` scope for `GET /` (HTTP/1.1, no headers, `overrides` applied on top)
 * whose request body is empty, and returns every event the app sent, in order.
 *
 * @param overrides - scope fields to replace, e.g. `{ headers: [...] }` or `{ httpVersion: '1.0' }`
 */
export async function callWithScope(app: AsyncApp, overrides: Partial<HTTPScope> = {}): Promise<SendEvent[]> {
  const scope: HTTPScope = {
    type: 'http',
    spec: { version: '1.0', specVersion: '1.0' },
    httpVersion: '1.1',
    method: 'GET',
    scheme: 'http',
    path: '/',
    rawPath: '/',
    queryString: '',
    rootPath: '',
    headers: [],
    client: ['127.0.0.1', 1234],
    server: ['127.0.0.1', 80],
    state: {},
    extensions: {},
    ...overrides,
  };
  const sent: SendEvent[] = [];
  let read = false;
  await app(
    scope,
    async () => {
      if (read) return { type: 'http.disconnect' };
      read = true;
      return { type: 'http.request', body: new Uint8Array(0), moreBody: false };
    },
    async (event) => {
      sent.push(event);
    },
  );
  return sent;
}
