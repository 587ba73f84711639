/**
 * SRV-CGI-2: exactly CONTENT_LENGTH bytes of standard input, whatever it is (a pipe, a file longer
 * than the body, /dev/null, a socket shared with standard output as under mod_cgid); standard input
 * that ends first is a client that left. And the deadlock of a web server that writes the whole body
 * before it reads any output (Apache's mod_cgi), with 10 MiB each way.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, constants, createWriteStream, openSync, readSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { rule } from '../../../../packages/server/test/rule.js';
import { tempDir } from '../../../../test/peers/peer.js';
import {
  cgiEnv,
  collect,
  jsonBody,
  PROGRAM,
  requireBuild,
  runCGIProgram,
  splitResponse,
  startProgram,
} from './helpers.js';

requireBuild();

const scratch = tempDir('cgi-program-stdin');
afterAll(() => scratch.remove());

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function file(name: string, bytes: Uint8Array): string {
  const path = join(scratch.dir, name);
  writeFileSync(path, bytes);
  return path;
}

const post = (length: number, path = '/echo'): Record<string, string> =>
  cgiEnv({ REQUEST_METHOD: 'POST', PATH_INFO: path, CONTENT_LENGTH: String(length) });

describe('exactly CONTENT_LENGTH bytes of standard input', () => {
  rule('SRV-CGI-2', 'stdin a pipe: the body arrives whole; the bytes after it stay in the pipe', async () => {
    const body = randomBytes(200_000);
    const path = file('pipe-body', Buffer.concat([body, Buffer.from('REST OF THE PIPE')]));
    // `cat` after node reads what is left of the same pipe and writes it after the response.
    const run = await runCGIProgram(post(body.length), { kind: 'pipe', file: path }, [], 'cat');
    expect(run.status).toBe(0);
    const { head, body: out } = splitResponse(run.stdout);
    expect(head[0]).toBe('Status: 200 OK');
    const text = out.toString('latin1');
    expect(text.endsWith('}\nREST OF THE PIPE')).toBe(true);
    expect(JSON.parse(text.slice(0, -'REST OF THE PIPE'.length))).toMatchObject({
      length: body.length,
      sha256: sha256(body),
    });
  });

  rule(
    'SRV-CGI-2',
    'stdin a file longer than CONTENT_LENGTH: the file offset ends at CONTENT_LENGTH',
    async () => {
      const body = randomBytes(100_000);
      const path = file('long-file', Buffer.concat([body, Buffer.from('NOT THE BODY')]));
      const fd = openSync(path, 'r');
      try {
        const run = await runCGIProgram(post(body.length), { kind: 'fd', fd });
        expect(jsonBody(run)).toMatchObject({ length: body.length, sha256: sha256(body) });
        // The descriptor's offset is shared with the child: the next read starts right after the body.
        const rest = Buffer.alloc(64);
        const n = readSync(fd, rest, 0, rest.length, null);
        expect(rest.subarray(0, n).toString()).toBe('NOT THE BODY');
      } finally {
        closeSync(fd);
      }
    },
  );

  rule('SRV-CGI-2', 'stdin /dev/null and no body: the app gets an empty body', async () => {
    const run = await runCGIProgram(cgiEnv({ REQUEST_METHOD: 'POST', PATH_INFO: '/echo' }));
    expect(run.status).toBe(0);
    expect(jsonBody(run)).toMatchObject({ length: 0, events: 1 });
  });

  rule(
    'SRV-CGI-2',
    'no CONTENT_LENGTH but HTTP_TRANSFER_ENCODING (Apache passes a chunked upload so): stdin to its end',
    async () => {
      const body = randomBytes(300_000);
      const path = file('chunked-body', body);
      const run = await runCGIProgram(
        cgiEnv({ REQUEST_METHOD: 'PUT', PATH_INFO: '/echo', HTTP_TRANSFER_ENCODING: 'chunked' }),
        { kind: 'pipe', file: path },
      );
      expect(run.status).toBe(0);
      expect(jsonBody(run)).toMatchObject({ length: body.length, sha256: sha256(body) });
    },
  );

  rule('SRV-CGI-2', 'no CONTENT_LENGTH is no body: stdin is not read at all', async () => {
    const path = file('unread', Buffer.from('data the web server did not declare'));
    const fd = openSync(path, 'r');
    try {
      const run = await runCGIProgram(cgiEnv({ REQUEST_METHOD: 'POST', PATH_INFO: '/echo' }), {
        kind: 'fd',
        fd,
      });
      expect(jsonBody(run)).toMatchObject({ length: 0 });
      const rest = Buffer.alloc(64);
      expect(rest.subarray(0, readSync(fd, rest, 0, 64, null)).toString()).toBe(
        'data the web server did not declare',
      );
    } finally {
      closeSync(fd);
    }
  });

  rule(
    'SRV-CGI-2',
    'a socket shared with stdout (mod_cgid): the response goes out on it, the bytes after the body stay',
    async () => {
      const server = createServer({ pauseOnConnect: true });
      const path = join(scratch.dir, 'cgid.sock');
      server.listen(path);
      await once(server, 'listening');
      try {
        const accepted = once(server, 'connection') as Promise<[Socket]>;
        const client = createConnection(path);
        await once(client, 'connect');
        const [conn] = await accepted;
        client.write('hello, mod_cgid!AFTER');
        const child = startProgram([PROGRAM], post(16), { kind: 'shared', socket: conn });
        const run = await collect(child);
        expect(run.status).toBe(0);
        // The response arrived on the client's side of the socket.
        const received: Buffer[] = [];
        client.on('data', (chunk: Buffer) => received.push(chunk));
        // What the program did not read is still there for the server side.
        conn.resume();
        const [rest] = (await once(conn, 'data')) as [Buffer];
        expect(rest.toString()).toBe('AFTER');
        conn.end();
        await once(client, 'end');
        const { head, body } = splitResponse(Buffer.concat(received));
        expect(head[0]).toBe('Status: 200 OK');
        expect(JSON.parse(body.toString())).toMatchObject({
          length: 16,
          sha256: sha256(Buffer.from('hello, mod_cgid!')),
        });
        client.destroy();
      } finally {
        server.close();
      }
    },
  );
});

describe('descriptors someone made non-blocking', () => {
  rule(
    'SRV-CGI-2',
    'stdin and stdout O_NONBLOCK (the app touched process.stdin/stdout): EAGAIN is waited out both ways',
    async () => {
      const body = randomBytes(3 * 1024 * 1024);
      const child = startProgram([PROGRAM, '--nonblocking'], post(body.length, '/stream-echo'), {
        kind: 'stream',
      });
      // Listening for the end first: the program may be done before the last write's pause is over.
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const chunks: Buffer[] = [];
      // A slow writer (the body in 100 kB pieces, 10 ms apart) and a slow reader.
      child.stdout!.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        child.stdout!.pause();
        setTimeout(() => child.stdout!.resume(), 5);
      });
      for (let i = 0; i < body.length; i += 100_000) {
        child.stdin!.write(body.subarray(i, i + 100_000));
        await new Promise((r) => setTimeout(r, 10));
      }
      child.stdin!.end();
      const status = await closed;
      expect(status).toBe(0);
      const { body: out } = splitResponse(Buffer.concat(chunks));
      expect(sha256(out)).toBe(sha256(body));
    },
    30_000,
  );
});

describe('standard input that ends before CONTENT_LENGTH: the client left', () => {
  rule(
    'SRV-CGI-2',
    'a pipe that ends short: the app sees http.disconnect, nothing is written, exit 1',
    async () => {
      const path = file('short', Buffer.from('only this'));
      const run = await runCGIProgram(post(1000), { kind: 'pipe', file: path });
      expect(run.status).toBe(1);
      expect(run.stdout.length).toBe(0);
      expect(run.stderr).toContain('seen: http.disconnect after 9 bytes');
      expect(run.stderr).toContain('standard input ended short of CONTENT_LENGTH: the client is gone');
    },
  );

  rule('SRV-CGI-2', '/dev/null with a CONTENT_LENGTH: the client left before sending anything', async () => {
    const run = await runCGIProgram(post(5));
    expect(run.status).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toContain('seen: http.disconnect after 0 bytes');
  });

  rule('SRV-REQ-4', 'a CONTENT_LENGTH over maxBodySize: 413 without calling the app', async () => {
    const run = await runCGIProgram(post(1001, '/anything'), { kind: 'null' }, ['--max-body=1000']);
    expect(run.status).toBe(0);
    expect(run.stdout.toString('latin1')).toMatch(/^Status: 413 /);
    expect(run.stderr).not.toContain('seen: app called');
  });
});

describe('a web server that writes the whole body before reading any output (Apache mod_cgi)', () => {
  const MiB = 1024 * 1024;

  /** Runs the program with stdio socket pairs; reads stdout only once all of `body` was written. */
  async function socketPairs(path: string, body: Buffer): Promise<{ status: number | null; stdout: Buffer }> {
    const child = startProgram([PROGRAM], post(body.length, path), { kind: 'stream' });
    child.stdout!.pause();
    await new Promise<void>((resolve, reject) =>
      child.stdin!.end(body, (err?: Error | null) => (err ? reject(err) : resolve())),
    );
    const run = await collect(child);
    return { status: run.status, stdout: run.stdout };
  }

  /**
   * The same through named pipes (real pipes with a 64 KiB buffer, as Apache's): the body is written
   * to one, and the other is read only after.
   */
  async function realPipes(
    path: string,
    body: Buffer,
    name: string,
  ): Promise<{ status: number | null; stdout: Buffer }> {
    const inPath = join(scratch.dir, `${name}.in`);
    const outPath = join(scratch.dir, `${name}.out`);
    execFileSync('mkfifo', [inPath, outPath]);
    // The read end is opened first, without blocking, so that the program's shell can open the
    // write end; it is not read until the whole body was written.
    const outFd = openSync(outPath, constants.O_RDONLY | constants.O_NONBLOCK);
    const child = startProgram(
      [PROGRAM],
      post(body.length, path),
      { kind: 'null' },
      {
        redirect: { stdin: inPath, stdout: outPath },
      },
    );
    const exited = collect(child);
    const input = createWriteStream(inPath);
    await new Promise<void>((resolve, reject) => {
      input.on('error', reject);
      input.end(body, resolve);
    });
    const output = new Socket({ fd: outFd, readable: true, writable: false });
    const chunks: Buffer[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(output, 'end');
    const run = await exited;
    return { status: run.status, stdout: Buffer.concat(chunks) };
  }

  for (const [kind, run] of [
    ['socket pairs', (path: string, body: Buffer) => socketPairs(path, body)],
    ['real pipes', realPipes],
  ] as const) {
    rule(
      'SRV-CGI-2',
      `${kind}: an app that echoes as it reads, 10 MiB each way, does not deadlock`,
      async () => {
        const body = randomBytes(10 * MiB);
        const { status, stdout } = await run('/stream-echo', body, `echo-${kind.replace(' ', '-')}`);
        expect(status).toBe(0);
        const { head, body: out } = splitResponse(stdout);
        expect(head[0]).toBe('Status: 200 OK');
        expect(out.length).toBe(body.length);
        expect(sha256(out)).toBe(sha256(body));
      },
      60_000,
    );

    rule(
      'SRV-CGI-2',
      `${kind}: an app that answers 10 MiB without reading a 10 MiB body does not deadlock`,
      async () => {
        const body = randomBytes(10 * MiB);
        const { status, stdout } = await run(`/big/${10 * MiB}`, body, `big-${kind.replace(' ', '-')}`);
        expect(status).toBe(0);
        const { head, body: out } = splitResponse(stdout);
        expect(head).toContain(`content-length: ${10 * MiB}`);
        expect(out.length).toBe(10 * MiB);
        expect(out[0]).toBe(0);
        expect(out[251]).toBe(0);
        expect(out[10 * MiB - 1]).toBe((10 * MiB - 1) % 251);
      },
      60_000,
    );
  }
});
