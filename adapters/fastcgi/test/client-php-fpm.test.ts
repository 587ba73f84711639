/**
 * Portico's FastCGI client against a real FastCGI application: php-fpm 8.2, started here on
 * 127.0.0.1 with its own minimal config (pm = static, 2 workers) and a PHP script that echoes what
 * it was sent. Skipped when php-fpm8.2 is not installed (a failure under CI).
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findBinary,
  freePort,
  type PeerProcess,
  startProcess,
  tempDir,
  waitForListen,
} from '../../../test/peers/peer.js';
import { FastCGIClient, type FastCGIResponse } from '../src/client.js';
import { encodeNameValuePairs } from '../src/name-value.js';
import {
  FCGI_END_REQUEST,
  FCGI_MAX_CONNS,
  FCGI_MAX_REQS,
  FCGI_MPXS_CONNS,
  FCGI_PARAMS,
  FCGI_REQUEST_COMPLETE,
  FCGI_RESPONDER,
  FCGI_STDIN,
  FCGI_STDOUT,
} from '../src/protocol.js';
import { encodeBeginRequest, encodeRecord, encodeStream } from '../src/record-codec.js';

const bin = findBinary('php-fpm8.2', 'php-fpm');

/** Echoes the request: chosen $_SERVER entries and the body (base64: byte strings), the worker pid; status from X-Status. */
const SCRIPT = `<?php
if (isset($_SERVER['HTTP_X_STATUS'])) header('Status: ' . $_SERVER['HTTP_X_STATUS']);
header('Content-Type: application/json');
header('X-Echo: yes');
$server = [];
foreach (['REQUEST_METHOD', 'QUERY_STRING', 'CONTENT_LENGTH', 'CONTENT_TYPE', 'HTTP_X_CUSTOM', 'HTTP_X_LONG', 'SCRIPT_NAME'] as $k) {
  $server[$k] = isset($_SERVER[$k]) ? base64_encode($_SERVER[$k]) : null;
}
echo json_encode([
  'server' => $server,
  'body' => base64_encode(file_get_contents('php://input')),
  'pid' => getmypid(),
]);
`;

interface Echo {
  server: Record<string, string | null>;
  body: string;
  pid: number;
}

describe.skipIf(bin === '')('FastCGIClient against php-fpm 8.2', () => {
  let fpm: PeerProcess;
  let port: number;
  let dir: string;
  let removeDir: () => void;
  let script: string;

  const logs = (): string => {
    let log = '';
    try {
      log = readFileSync(join(dir, 'php-fpm.log'), 'utf8');
    } catch {}
    return `${fpm.output()}\n${log}`;
  };

  const params = (extra: Record<string, string> = {}): Record<string, string> => ({
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_NAME: 'localhost',
    SERVER_PORT: '80',
    REMOTE_ADDR: '127.0.0.1',
    SCRIPT_FILENAME: script,
    SCRIPT_NAME: '/echo.php',
    REQUEST_URI: '/echo.php',
    REQUEST_METHOD: 'GET',
    QUERY_STRING: '',
    ...extra,
  });

  const echoOf = (res: FastCGIResponse): Echo => {
    expect(res.protocolStatus, logs()).toBe(FCGI_REQUEST_COMPLETE);
    const echo = JSON.parse(res.body.toString('utf8')) as Echo;
    // $_SERVER values came base64-encoded: back to byte strings.
    for (const [k, v] of Object.entries(echo.server)) {
      if (v !== null) echo.server[k] = Buffer.from(v, 'base64').toString('latin1');
    }
    return echo;
  };

  beforeAll(async () => {
    ({ dir, remove: removeDir } = tempDir('client-php-fpm'));
    chmodSync(dir, 0o755);
    script = join(dir, 'echo.php');
    writeFileSync(script, SCRIPT);
    chmodSync(script, 0o644);
    port = await freePort();
    const conf = join(dir, 'php-fpm.conf');
    writeFileSync(
      conf,
      [
        '[global]',
        `pid = ${join(dir, 'php-fpm.pid')}`,
        `error_log = ${join(dir, 'php-fpm.log')}`,
        'daemonize = no',
        '[app]',
        `listen = 127.0.0.1:${port}`,
        'pm = static',
        'pm.max_children = 2',
        'catch_workers_output = yes',
        'clear_env = yes',
        'php_admin_flag[enable_post_data_reading] = off',
        '',
      ].join('\n'),
    );
    fpm = startProcess(bin, ['-F', '-y', conf, '-R', '-d', 'cgi.fix_pathinfo=0']);
    await waitForListen({ port }).catch((err: unknown) => {
      throw new Error(`php-fpm did not listen: ${String(err)}\n${logs()}`);
    });
  });

  afterAll(async () => {
    await fpm?.stop();
    removeDir?.();
  });

  it('a Responder GET returns the Status, headers and body the script wrote', async () => {
    const client = await FastCGIClient.connect({ port });
    const seen: [number, number][] = [];
    client.onRecord = (type, requestId) => seen.push([type, requestId]);
    const res = await client.request({
      params: params({
        QUERY_STRING: 'a=1&b=%C3%A9',
        HTTP_X_CUSTOM: 'hello \xe9',
        HTTP_X_STATUS: '404 Not Found',
      }),
    });
    expect(res.requestId).toBe(1);
    expect(res.appStatus).toBe(0);
    expect(res.status, res.stdout.toString('latin1')).toBe(404);
    expect(res.headers).toContainEqual(['Content-Type', 'application/json']);
    expect(res.headers).toContainEqual(['X-Echo', 'yes']);
    expect(res.headers.find(([n]) => n === 'Status')?.[1]).toMatch(/^404\b/);
    const echo = echoOf(res);
    expect(echo.server).toMatchObject({
      REQUEST_METHOD: 'GET',
      QUERY_STRING: 'a=1&b=%C3%A9',
      HTTP_X_CUSTOM: 'hello \xe9',
      SCRIPT_NAME: '/echo.php',
    });
    expect(echo.body).toBe('');
    expect(seen.at(-1)).toEqual([FCGI_END_REQUEST, 1]);
    expect(seen.some(([type, id]) => type === FCGI_STDOUT && id === 1)).toBe(true);
    // Without FCGI_KEEP_CONN the application closes the connection after the request.
    await client.closed;
  });

  it('a Responder without Status gets 200, as a web server would send', async () => {
    const client = await FastCGIClient.connect({ port });
    const res = await client.request({ params: params() });
    expect(res.status).toBe(200);
    expect(res.headers.some(([n]) => n.toLowerCase() === 'status')).toBe(false);
    expect(echoOf(res).server.REQUEST_METHOD).toBe('GET');
    client.close();
    await client.closed;
  });

  it('a POST body sent in several STDIN pieces reaches php://input byte for byte', async () => {
    const body = Buffer.alloc(200_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 131 + (i >> 8)) & 0xff;
    const stdin = [
      body.subarray(0, 1),
      body.subarray(1, 70_000),
      body.subarray(70_000, 70_000),
      body.subarray(70_000),
    ];
    const client = await FastCGIClient.connect({ port });
    const res = await client.request({
      params: params({
        REQUEST_METHOD: 'POST',
        CONTENT_LENGTH: String(body.length),
        CONTENT_TYPE: 'application/octet-stream',
        HTTP_X_STATUS: '201 Created',
      }),
      stdin,
    });
    expect(res.status).toBe(201);
    const echo = echoOf(res);
    expect(echo.server.REQUEST_METHOD).toBe('POST');
    expect(echo.server.CONTENT_LENGTH).toBe(String(body.length));
    expect(Buffer.from(echo.body, 'base64').equals(body)).toBe(true);
  });

  it('PARAMS split between pairs into records of at most 64 bytes (as Apache does), with a param over 127 bytes, arrive whole', async () => {
    const long = 'x'.repeat(300);
    const client = await FastCGIClient.connect({ port });
    const params_: [string, string][] = [
      ...Object.entries(params({ HTTP_X_LONG: long, QUERY_STRING: 'q=split' })),
    ];
    const res = await client.request({ params: params_, paramsRecordSize: 64 });
    const echo = echoOf(res);
    expect(echo.server.HTTP_X_LONG).toBe(long);
    expect(echo.server.QUERY_STRING).toBe('q=split');
    expect(echo.server.SCRIPT_NAME).toBe('/echo.php');
  });

  it('PARAMS cut inside a pair are refused by php-fpm, which parses each record on its own: the request rejects', async () => {
    const client = await FastCGIClient.connect({ port });
    const pending = client.request({ params: params(), paramsRecordSize: 5, paramsSplitAnywhere: true });
    await expect(pending).rejects.toThrow(/closed before FCGI_END_REQUEST of request 1/);
    await client.closed;
  });

  it('FCGI_GET_VALUES is answered with FCGI_GET_VALUES_RESULT: php-fpm knows FCGI_MPXS_CONNS = 0 only', async () => {
    const client = await FastCGIClient.connect({ port });
    const values = await client.getValues([FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS, 'NOT_A_VARIABLE']);
    // php-fpm 8.2 (main/fastcgi.c) sets only FCGI_MPXS_CONNS; php-cgi adds FCGI_MAX_CONNS and
    // FCGI_MAX_REQS. Names it does not know are left out of the answer (section 4.1).
    expect([...values]).toEqual([[FCGI_MPXS_CONNS, '0']]);
    client.close();
    await client.closed;
  });

  it('FCGI_KEEP_CONN: two requests one after the other on one connection, same worker', async () => {
    const client = await FastCGIClient.connect({ port });
    const first = await client.request({ keepConn: true, params: params({ QUERY_STRING: 'n=1' }) });
    const second = await client.request({ keepConn: true, params: params({ QUERY_STRING: 'n=2' }) });
    expect([first.requestId, second.requestId]).toEqual([1, 2]);
    const [a, b] = [echoOf(first), echoOf(second)];
    expect([a.server.QUERY_STRING, b.server.QUERY_STRING]).toEqual(['n=1', 'n=2']);
    expect(b.pid).toBe(a.pid);
    // A third without FCGI_KEEP_CONN: the application closes after it.
    const third = await client.request({ requestId: 7, params: params({ QUERY_STRING: 'n=3' }) });
    expect(third.requestId).toBe(7);
    expect(echoOf(third).server.QUERY_STRING).toBe('n=3');
    await client.closed;
  });

  it('writeRaw: a request written by hand is answered, and onRecord sees the answer', async () => {
    const client = await FastCGIClient.connect({ port });
    const seen: { type: number; requestId: number; content: Buffer }[] = [];
    client.onRecord = (type, requestId, content) => seen.push({ type, requestId, content });
    client.writeRaw(
      Buffer.concat([
        encodeBeginRequest(5, FCGI_RESPONDER, 0),
        encodeStream(FCGI_PARAMS, 5, encodeNameValuePairs(Object.entries(params({ QUERY_STRING: 'raw' })))),
        encodeRecord(FCGI_PARAMS, 5),
        encodeRecord(FCGI_STDIN, 5),
      ]),
    );
    await client.closed;
    expect(seen.at(-1)?.type).toBe(FCGI_END_REQUEST);
    expect(seen.every((r) => r.requestId === 5)).toBe(true);
    const stdout = Buffer.concat(seen.filter((r) => r.type === FCGI_STDOUT).map((r) => r.content));
    expect(stdout.toString('latin1')).toContain(`"QUERY_STRING":"${Buffer.from('raw').toString('base64')}"`);
  });

  it('a request rejects, naming FCGI_END_REQUEST, when the application closes the connection first', async () => {
    const client = await FastCGIClient.connect({ port });
    // php-fpm drops the connection on a role it does not know (main/fastcgi.c), without FCGI_END_REQUEST.
    const pending = client.request({ role: 99, keepConn: true, params: params() });
    await expect(pending).rejects.toThrow(/closed before FCGI_END_REQUEST of request 1/);
    await client.closed;
    await expect(client.request({ params: params() })).rejects.toThrow(/closed/);
  });

  it('close() with a request in flight rejects it', async () => {
    const client = await FastCGIClient.connect({ port });
    // A POST whose body never comes: php-fpm waits for FCGI_STDIN.
    const pending = client.request({
      keepConn: true,
      params: params({ REQUEST_METHOD: 'POST', CONTENT_LENGTH: '4' }),
      omitStdin: true,
    });
    client.close();
    await expect(pending).rejects.toThrow(/closed before FCGI_END_REQUEST of request 1/);
    await client.closed;
  });
});
