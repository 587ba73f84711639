/**
 * SRV-CGI-3: the response on standard output, byte for byte: `Status:` always, the local redirect,
 * the client redirect, never Transfer-Encoding, NPH mode; all of it written before the process
 * exits, however slowly the web server reads.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rule } from '../../../../packages/server/test/rule.js';
import { tempDir } from '../../../../test/peers/peer.js';
import {
  APPS,
  cgiEnv,
  collect,
  jsonBody,
  PROGRAM,
  type ProgramRun,
  requireBuild,
  runCGIProgram,
  splitResponse,
  startProgram,
} from './helpers.js';

requireBuild();

const scratch = tempDir('cgi-program-response');
afterAll(() => scratch.remove());

const get = (path: string, extra: Record<string, string> = {}) => cgiEnv({ PATH_INFO: path, ...extra });
const text = (run: ProgramRun) => run.stdout.toString('latin1');

describe('a CGI response on standard output', () => {
  rule(
    'SRV-CGI-3',
    'a document response starts with Status: and has the app headers, then the body',
    async () => {
      const run = await runCGIProgram(get('/stderr'));
      expect(run.status).toBe(0);
      expect(text(run)).toBe('Status: 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok\n');
      expect(run.stderr).toBe('a line from the app\n');
    },
  );

  rule(
    'SRV-CGI-3',
    'a 200 with a location that is a path and no body is a local redirect: Location alone',
    async () => {
      const run = await runCGIProgram(get('/local-redirect'));
      expect(run.status).toBe(0);
      expect(text(run)).toBe('Location: /other/page?x=1\r\n\r\n');
    },
  );

  rule('SRV-CGI-3', 'a client redirect keeps its status, Location and document', async () => {
    const run = await runCGIProgram(get('/client-redirect'));
    expect(text(run)).toBe(
      'Status: 302 Found\r\nlocation: https://example.org/new\r\ncontent-type: text/plain\r\ncontent-length: 6\r\n\r\nmoved\n',
    );
  });

  rule(
    'SRV-CGI-3',
    'never Transfer-Encoding, even when the app sets it: the web server frames the body',
    async () => {
      const run = await runCGIProgram(get('/transfer-encoding'));
      expect(run.status).toBe(0);
      expect(text(run)).toBe('Status: 200 OK\r\ncontent-type: text/plain\r\n\r\none,two');
    },
  );

  rule('SRV-RESP-1', 'HEAD: the head with its content-length, no body byte', async () => {
    const run = await runCGIProgram(get('/client-redirect', { REQUEST_METHOD: 'HEAD' }));
    expect(text(run)).toBe(
      'Status: 302 Found\r\nlocation: https://example.org/new\r\ncontent-type: text/plain\r\ncontent-length: 6\r\n\r\n',
    );
  });

  it('204: no body and no content-length', async () => {
    const run = await runCGIProgram(get('/no-content'));
    expect(text(run)).toBe('Status: 204 No Content\r\n\r\n');
  });

  it('path send: the file as the body, with its length', async () => {
    const run = await runCGIProgram(get('/pathsend'));
    const { head, body } = splitResponse(run.stdout);
    const file = readFileSync(APPS);
    expect(head).toEqual([
      'Status: 200 OK',
      'content-type: text/javascript',
      `content-length: ${file.length}`,
    ]);
    expect(body.equals(file)).toBe(true);
  });

  it('stdout a regular file: the response is in the file', async () => {
    const path = join(scratch.dir, 'stdout-file');
    const fd = openSync(path, 'w');
    try {
      const run = await collect(startProgram([PROGRAM], get('/stderr'), { kind: 'null' }, { stdout: fd }));
      expect(run.status).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path, 'latin1')).toBe(
      'Status: 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok\n',
    );
  });

  it('lifespan on: startup before the request fills the state, shutdown after the response', async () => {
    const run = await runCGIProgram(get('/scope'), { kind: 'null' }, ['--lifespan']);
    expect(run.status).toBe(0);
    expect(jsonBody(run).state).toEqual({ started: 'yes' });
    expect(run.stderr).toBe('seen: lifespan.shutdown\n');
  });
});

describe('NPH mode (RFC 3875 section 5)', () => {
  rule(
    'SRV-CGI-3',
    'a whole HTTP/1.1 response: status line, the headers, Date, Connection: close',
    async () => {
      const run = await runCGIProgram(get('/stderr'), { kind: 'null' }, ['--nph']);
      expect(run.status).toBe(0);
      expect(text(run)).toMatch(
        /^HTTP\/1\.1 200 OK\r\ncontent-type: text\/plain\r\ncontent-length: 3\r\nDate: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\nConnection: close\r\n\r\nok\n$/,
      );
    },
  );

  it('no local redirect in NPH mode: the 200 goes to the client as it is', async () => {
    const run = await runCGIProgram(get('/local-redirect'), { kind: 'null' }, ['--nph']);
    const { head, body } = splitResponse(run.stdout);
    expect(head.slice(0, 3)).toEqual(['HTTP/1.1 200 OK', 'location: /other/page?x=1', 'content-length: 0']);
    expect(body.length).toBe(0);
  });

  rule('SRV-RESP-1', 'NPH HEAD: no body byte on the wire', async () => {
    const run = await runCGIProgram(get('/stderr', { REQUEST_METHOD: 'HEAD' }), { kind: 'null' }, ['--nph']);
    const { head, body } = splitResponse(run.stdout);
    expect(head[0]).toBe('HTTP/1.1 200 OK');
    expect(head).toContain('content-length: 3');
    expect(body.length).toBe(0);
  });
});

describe('all of the response is written before the process exits', () => {
  /** Reads the child's stdout slowly: a pause of 30 ms after every 512 KiB. */
  async function slowRead(args: string[], chunk: number): Promise<{ status: number | null; bytes: Buffer }> {
    const child = startProgram(
      [PROGRAM, ...args],
      get(`/big/${5 * 1024 * 1024}`, { QUERY_STRING: `chunk=${chunk}` }),
    );
    const chunks: Buffer[] = [];
    let sinceBreak = 0;
    child.stdout!.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      sinceBreak += chunk.length;
      if (sinceBreak >= 512 * 1024) {
        sinceBreak = 0;
        child.stdout!.pause();
        setTimeout(() => child.stdout!.resume(), 30);
      }
    });
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return { status, bytes: Buffer.concat(chunks) };
  }

  for (const [how, chunk] of [
    [[], 65536],
    [[], 1000],
    [['--no-exit'], 1000],
  ] as const) {
    rule(
      'SRV-CGI-3',
      `5 MiB in ${chunk}-byte sends to a slow reader, ${how.length === 0 ? 'process.exit() right after runCGI' : 'the process left to end by itself'}`,
      async () => {
        const { status, bytes } = await slowRead([...how], chunk);
        expect(status).toBe(0);
        const { head, body } = splitResponse(bytes);
        expect(head).toContain(`content-length: ${5 * 1024 * 1024}`);
        expect(body.length).toBe(5 * 1024 * 1024);
        expect(body[body.length - 1]).toBe((5 * 1024 * 1024 - 1) % 251);
      },
      30_000,
    );
  }
});
