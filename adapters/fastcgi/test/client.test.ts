/**
 * The FastCGI client at the wire level: the records it sends (decoded by the codec on a plain TCP
 * listener) and its reading of crafted answers (multiplexed streams, the CGI head, management
 * records, a broken stream). client-php-fpm.test.ts checks it against a real application.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FastCGIClient, parseCgiHead } from '../src/client.js';
import { decodeNameValuePairs, encodeNameValuePairs } from '../src/name-value.js';
import {
  FCGI_ABORT_REQUEST,
  FCGI_AUTHORIZER,
  FCGI_BEGIN_REQUEST,
  FCGI_DATA,
  FCGI_FILTER,
  FCGI_GET_VALUES,
  FCGI_GET_VALUES_RESULT,
  FCGI_KEEP_CONN,
  FCGI_OVERLOADED,
  FCGI_PARAMS,
  FCGI_STDERR,
  FCGI_STDIN,
  FCGI_STDOUT,
} from '../src/protocol.js';
import {
  decodeBeginRequest,
  encodeEndRequest,
  encodeRecord,
  encodeStream,
  encodeUnknownType,
  RecordDecoder,
} from '../src/record-codec.js';

interface Rec {
  type: number;
  requestId: number;
  content: Buffer;
}

/** A TCP listener that decodes what the client sends; `answer` writes records back. */
interface Capture {
  port: number;
  /** Records received so far, on the latest connection. */
  records: Rec[];
  /** Resolves once `n` records have arrived. */
  received(n: number): Promise<Rec[]>;
  /** Writes bytes to the latest connection. */
  answer(bytes: Uint8Array): void;
  /** Closes the latest connection. */
  hangUp(): void;
}

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function capture(): Promise<Capture> {
  const records: Rec[] = [];
  let socket: Socket | undefined;
  let waiters: (() => void)[] = [];
  server = createServer((s) => {
    socket = s;
    const decoder = new RecordDecoder((type, requestId, content) => {
      records.push({ type, requestId, content: Buffer.from(content) });
      for (const w of waiters) w();
    });
    s.on('data', (chunk) => decoder.push(chunk));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    records,
    received(n) {
      return new Promise((resolve) => {
        const check = (): void => {
          if (records.length >= n) {
            waiters = waiters.filter((w) => w !== check);
            resolve(records.slice(0, n));
          }
        };
        waiters.push(check);
        check();
      });
    },
    answer: (bytes) => socket!.write(bytes),
    hangUp: () => socket!.destroy(),
  };
}

/** Leaves a request's outcome aside: it rejects when the test closes the connection. */
const settle = (p: Promise<unknown>): void => {
  p.catch(() => {});
};

const summary = (records: readonly Rec[]): [number, number, number][] =>
  records.map((r) => [r.type, r.requestId, r.content.length]);

describe('FastCGIClient: the records of a request (sections 5.1-5.3, 6)', () => {
  it('sends BEGIN_REQUEST with role and FCGI_KEEP_CONN, PARAMS, STDIN pieces and their ends, in that order', async () => {
    const cap = await capture();
    const client = await FastCGIClient.connect({ port: cap.port });
    settle(
      client.request({
        keepConn: true,
        role: FCGI_AUTHORIZER,
        params: { A: '1', B: '\xe9' },
        stdin: [Buffer.from('ab'), Buffer.alloc(0), Buffer.from('cde')],
      }),
    );
    const records = await cap.received(6);
    expect(summary(records)).toEqual([
      [FCGI_BEGIN_REQUEST, 1, 8],
      [FCGI_PARAMS, 1, 8],
      [FCGI_PARAMS, 1, 0],
      [FCGI_STDIN, 1, 2],
      [FCGI_STDIN, 1, 3],
      [FCGI_STDIN, 1, 0],
    ]);
    expect(decodeBeginRequest(records[0]!.content)).toEqual({ role: FCGI_AUTHORIZER, flags: FCGI_KEEP_CONN });
    expect(decodeNameValuePairs(records[1]!.content)).toEqual([
      ['A', '1'],
      ['B', '\xe9'],
    ]);
    client.close();
  });

  it('omitStdin sends no STDIN at all; data is sent as FCGI_DATA after STDIN, then an empty DATA record', async () => {
    const cap = await capture();
    const client = await FastCGIClient.connect({ port: cap.port });
    settle(client.request({ params: [['X', 'y']], omitStdin: true, keepConn: true }));
    settle(
      client.request({
        role: FCGI_FILTER,
        params: [],
        stdin: Buffer.from('in'),
        data: [Buffer.from('file')],
      }),
    );
    const records = await cap.received(9);
    expect(summary(records)).toEqual([
      [FCGI_BEGIN_REQUEST, 1, 8],
      [FCGI_PARAMS, 1, 4],
      [FCGI_PARAMS, 1, 0],
      [FCGI_BEGIN_REQUEST, 2, 8],
      [FCGI_PARAMS, 2, 0],
      [FCGI_STDIN, 2, 2],
      [FCGI_STDIN, 2, 0],
      [FCGI_DATA, 2, 4],
      [FCGI_DATA, 2, 0],
    ]);
    expect(decodeBeginRequest(records[0]!.content).flags).toBe(FCGI_KEEP_CONN);
    expect(decodeBeginRequest(records[3]!.content)).toEqual({ role: FCGI_FILTER, flags: 0 });
    client.close();
  });

  it('paramsRecordSize packs whole pairs into records of at most that size; a bigger pair goes alone', async () => {
    const cap = await capture();
    const client = await FastCGIClient.connect({ port: cap.port });
    const pairs: [string, string][] = [
      ['AAAA', 'x'.repeat(20)], // 26 bytes
      ['BBBB', 'y'.repeat(20)], // 26
      ['CCCC', 'z'.repeat(20)], // 26
      ['BIG', 'w'.repeat(200)], // 208
      ['D', 'd'], // 4
    ];
    settle(client.request({ params: pairs, paramsRecordSize: 60, omitStdin: true }));
    const records = await cap.received(6);
    expect(summary(records)).toEqual([
      [FCGI_BEGIN_REQUEST, 1, 8],
      [FCGI_PARAMS, 1, 52],
      [FCGI_PARAMS, 1, 26],
      [FCGI_PARAMS, 1, 208],
      [FCGI_PARAMS, 1, 4],
      [FCGI_PARAMS, 1, 0],
    ]);
    for (const r of records.slice(1, 5)) decodeNameValuePairs(r.content); // each record holds whole pairs
    expect(decodeNameValuePairs(Buffer.concat(records.slice(1).map((r) => r.content)))).toEqual(pairs);
    client.close();
  });

  it('paramsSplitAnywhere cuts the PARAMS stream every paramsRecordSize bytes, inside pairs', async () => {
    const cap = await capture();
    const client = await FastCGIClient.connect({ port: cap.port });
    const pairs: [string, string][] = [
      ['NAME', 'v'.repeat(130)],
      ['K', 'v'],
    ];
    const encoded = encodeNameValuePairs(pairs);
    settle(
      client.request({ params: pairs, paramsRecordSize: 7, paramsSplitAnywhere: true, omitStdin: true }),
    );
    const count = Math.ceil(encoded.length / 7);
    const records = await cap.received(2 + count);
    const params = records.slice(1);
    expect(params.slice(0, -1).map((r) => r.content.length)).toEqual(
      Array.from({ length: count }, (_, i) => Math.min(7, encoded.length - i * 7)),
    );
    expect(params.at(-1)?.content.length).toBe(0);
    expect(decodeNameValuePairs(Buffer.concat(params.map((r) => r.content)))).toEqual(pairs);
    client.close();
  });

  it('stdin over 65535 bytes is split into records of at most 65535', async () => {
    const cap = await capture();
    const client = await FastCGIClient.connect({ port: cap.port });
    const body = Buffer.alloc(70_000, 0x61);
    settle(client.request({ params: {}, stdin: body }));
    const records = await cap.received(5);
    expect(summary(records).slice(2)).toEqual([
      [FCGI_STDIN, 1, 65535],
      [FCGI_STDIN, 1, 70_000 - 65535],
      [FCGI_STDIN, 1, 0],
    ]);
    client.close();
  });

  it('assigns ids 1, 2, ... skipping ids in flight; refuses an id in flight or outside 1..65535', async () => {
    const cap = await capture();
    const client = await FastCGIClient.connect({ port: cap.port });
    settle(client.request({ requestId: 2, params: {}, omitStdin: true, keepConn: true }));
    settle(client.request({ params: {}, omitStdin: true, keepConn: true }));
    settle(client.request({ params: {}, omitStdin: true, keepConn: true }));
    await expect(client.request({ requestId: 2, params: {} })).rejects.toThrow(/already in flight/);
    await expect(client.request({ requestId: 0, params: {} })).rejects.toThrow(/1\.\.65535/);
    await expect(client.request({ requestId: 65536, params: {} })).rejects.toThrow(/1\.\.65535/);
    const records = await cap.received(6);
    expect(records.filter((r) => r.type === FCGI_BEGIN_REQUEST).map((r) => r.requestId)).toEqual([2, 1, 3]);
    client.close();
  });

  it('abort sends FCGI_ABORT_REQUEST; getValues sends FCGI_GET_VALUES with empty values on request id 0', async () => {
    const cap = await capture();
    const client = await FastCGIClient.connect({ port: cap.port });
    client.abort(9);
    settle(client.getValues(['FCGI_MAX_CONNS', 'FCGI_MPXS_CONNS']));
    const records = await cap.received(2);
    expect(summary(records)[0]).toEqual([FCGI_ABORT_REQUEST, 9, 0]);
    expect(records[1]!.type).toBe(FCGI_GET_VALUES);
    expect(records[1]!.requestId).toBe(0);
    expect(decodeNameValuePairs(records[1]!.content)).toEqual([
      ['FCGI_MAX_CONNS', ''],
      ['FCGI_MPXS_CONNS', ''],
    ]);
    client.close();
  });
});

describe('FastCGIClient: reading answers', () => {
  it('multiplexed answers, interleaved and in reverse order, reach their own requests', async () => {
    const cap = await capture();
    const client = await FastCGIClient.connect({ port: cap.port });
    const one = client.request({ params: {}, keepConn: true });
    const two = client.request({ params: {}, keepConn: true });
    await cap.received(6);
    cap.answer(
      Buffer.concat([
        encodeStream(FCGI_STDOUT, 2, Buffer.from('Status: 201 Created\r\n')),
        encodeStream(FCGI_STDOUT, 1, Buffer.from('Content-Type: text/plain\n\none')),
        encodeStream(FCGI_STDERR, 2, Buffer.from('warn')),
        encodeStream(FCGI_STDOUT, 2, Buffer.from('\r\ntwo')),
        encodeRecord(FCGI_STDOUT, 2),
        encodeEndRequest(2, 7, 0),
        encodeRecord(FCGI_STDOUT, 1),
        encodeEndRequest(1, 0xffffffff, FCGI_OVERLOADED),
      ]),
    );
    const [a, b] = await Promise.all([one, two]);
    expect(a).toMatchObject({
      requestId: 1,
      status: 200,
      appStatus: 0xffffffff,
      protocolStatus: FCGI_OVERLOADED,
    });
    expect(a.headers).toEqual([['Content-Type', 'text/plain']]);
    expect(a.body.toString()).toBe('one');
    expect(b).toMatchObject({ requestId: 2, status: 201, appStatus: 7, protocolStatus: 0 });
    expect(b.stderr.toString()).toBe('warn');
    expect(b.body.toString()).toBe('two');
    expect(b.stdout.toString()).toBe('Status: 201 Created\r\n\r\ntwo');
    client.close();
  });

  it('getValues resolves with FCGI_GET_VALUES_RESULT; onRecord sees every record, FCGI_UNKNOWN_TYPE included', async () => {
    const cap = await capture();
    const client = await FastCGIClient.connect({ port: cap.port });
    const seen: [number, number, string][] = [];
    client.onRecord = (type, requestId, content) => seen.push([type, requestId, content.toString('hex')]);
    const values = client.getValues(['FCGI_MPXS_CONNS']);
    await cap.received(1);
    cap.answer(
      Buffer.concat([
        encodeUnknownType(200),
        encodeStream(FCGI_GET_VALUES_RESULT, 0, encodeNameValuePairs([['FCGI_MPXS_CONNS', '1']])),
      ]),
    );
    expect([...(await values)]).toEqual([['FCGI_MPXS_CONNS', '1']]);
    expect(seen[0]).toEqual([11, 0, 'c800000000000000']);
    expect(seen[1]?.[0]).toBe(FCGI_GET_VALUES_RESULT);
    client.close();
  });

  it('a connection closed before FCGI_END_REQUEST rejects every request in flight, naming it', async () => {
    const cap = await capture();
    const client = await FastCGIClient.connect({ port: cap.port });
    const one = client.request({ params: {}, keepConn: true });
    const values = client.getValues(['X']);
    await cap.received(4);
    cap.answer(encodeStream(FCGI_STDOUT, 1, Buffer.from('Status: 200\r\n')));
    cap.hangUp();
    await expect(one).rejects.toThrow('FastCGI connection closed before FCGI_END_REQUEST of request 1');
    await expect(values).rejects.toThrow(/FCGI_GET_VALUES_RESULT/);
    await client.closed;
  });

  it('a malformed record from the application rejects with ERR_FCGI_BAD_RECORD as the cause', async () => {
    const cap = await capture();
    const client = await FastCGIClient.connect({ port: cap.port });
    const one = client.request({ params: {}, keepConn: true });
    await cap.received(3);
    cap.answer(Uint8Array.of(2, FCGI_STDOUT, 0, 1, 0, 0, 0, 0));
    const err = await one.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      message: expect.stringMatching(/request 1/),
      cause: { code: 'ERR_FCGI_BAD_RECORD' },
    });
    await client.closed;
  });

  it('connect rejects when nothing listens', async () => {
    const cap = await capture();
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    await expect(FastCGIClient.connect({ port: cap.port })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('parseCgiHead (RFC 3875 section 6.2, 6.3)', () => {
  const parse = (s: string) => {
    const { status, headers, body } = parseCgiHead(Buffer.from(s, 'latin1'));
    return { status, headers, body: body.toString('latin1') };
  };

  it.each([
    [
      'Status line sets the status',
      'Status: 404 Not Found\r\nX: 1\r\n\r\nbody',
      404,
      [
        ['Status', '404 Not Found'],
        ['X', '1'],
      ],
      'body',
    ],
    ['no Status is 200', 'Content-Type: text/html\n\n<p>', 200, [['Content-Type', 'text/html']], '<p>'],
    [
      'Location with an absolute URL is 302',
      'Location: https://example.com/x\r\n\r\n',
      302,
      [['Location', 'https://example.com/x']],
      '',
    ],
    ['a local Location stays 200', 'Location: /elsewhere\r\n\r\n', 200, [['Location', '/elsewhere']], ''],
    [
      'Status wins over Location',
      'Location: http://h/\r\nStatus: 301 Moved\r\n\r\n',
      301,
      [
        ['Location', 'http://h/'],
        ['Status', '301 Moved'],
      ],
      '',
    ],
    [
      'LF and CRLF lines mix',
      'A: 1\nB: 2\r\n\nrest\r\n\r\n',
      200,
      [
        ['A', '1'],
        ['B', '2'],
      ],
      'rest\r\n\r\n',
    ],
    [
      'values lose spaces and tabs around them, not U+00A0',
      'A:\t x \t\r\nB: \xa0y\xa0\r\n\r\n',
      200,
      [
        ['A', 'x'],
        ['B', '\xa0y\xa0'],
      ],
      '',
    ],
    ['an empty head', '\r\nbody', 200, [], 'body'],
    ['status case-insensitive name', 'status: 418\n\n', 418, [['status', '418']], ''],
  ] as const)('%s', (_, input, status, headers, body) => {
    expect(parse(input)).toEqual({ status, headers, body });
  });

  it.each([
    ['no blank line', 'Content-Type: text/plain\r\n'],
    ['empty stdout', ''],
    ['a line without a colon', 'Content-Type text/plain\r\n\r\n'],
    ['a Status that is not 3 digits', 'Status: OK\r\n\r\n'],
  ])('%s is 502', (_, input) => {
    expect(parse(input).status).toBe(502);
  });
});
