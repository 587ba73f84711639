/**
 * `portico cgi <module>[:<export>]` end to end: the built command (run `npx tsc -b` first) as a
 * web server runs a CGI program, with a clean environment of meta-variables.
 */
import { describe, expect, it } from 'vitest';
import {
  APPS,
  cgiEnv,
  jsonBody,
  PORTICO,
  runProgram,
  splitResponse,
} from '../../../adapters/cgi/test/program/helpers.js';
import { rule } from '../../server/test/rule.js';
import { parseCGIArgs } from '../src/cgi-command.js';
import { runCli } from './cli-process.js';

const cgi = (args: string[], env: Record<string, string>, stdin?: Buffer) =>
  runProgram(
    [PORTICO, 'cgi', ...args],
    env,
    stdin === undefined ? { kind: 'null' } : { kind: 'socket', data: stdin },
  );

describe('parseCGIArgs', () => {
  it('reads the module, the flags and their defaults', () => {
    expect(parseCGIArgs(['app.js'])).toEqual({
      target: 'app.js',
      nph: false,
      interface: 'auto',
      maxBodySize: undefined,
      lifespan: 'off',
      logLevel: 'info',
    });
    expect(
      parseCGIArgs([
        '--nph',
        'app.js:handler',
        '--max-body-size',
        '1m',
        '--lifespan=on',
        '--log-level',
        'warn',
      ]),
    ).toEqual({
      target: 'app.js:handler',
      nph: true,
      interface: 'auto',
      maxBodySize: 1048576,
      lifespan: 'on',
      logLevel: 'warn',
    });
    expect(parseCGIArgs(['-h'])).toBe('help');
  });

  it('refuses what it does not know, with the option named', () => {
    expect(() => parseCGIArgs([])).toThrow('missing the app to run');
    expect(() => parseCGIArgs(['a.js', 'b.js'])).toThrow('unexpected argument "b.js"');
    expect(() => parseCGIArgs(['--bind', 'x', 'a.js'])).toThrow('unknown option --bind');
    expect(() => parseCGIArgs(['--lifespan', 'maybe', 'a.js'])).toThrow('option --lifespan: expected one of');
    expect(() => parseCGIArgs(['--max-body-size', 'lots', 'a.js'])).toThrow('option --max-body-size');
    expect(() => parseCGIArgs(['--nph=yes', 'a.js'])).toThrow('option --nph takes no value');
  });
});

describe('portico cgi', () => {
  it('--help shows the usage and the exit statuses; portico --help lists the command', async () => {
    const help = await runCli(['cgi', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: portico cgi <module>[:<export>] [options]');
    for (const option of ['--nph', '--interface', '--max-body-size', '--lifespan', '--log-level'])
      expect(help.stdout).toContain(option);
    expect(help.stdout).toContain('Exit status: 0 when a complete response was written');
    const main = await runCli(['--help']);
    expect(main.stdout).toContain('portico cgi <module>[:<export>] [options]');
  });

  it('usage errors exit 2 with one line on stderr and nothing on stdout', async () => {
    for (const args of [['cgi'], ['cgi', '--bogus', APPS], ['cgi', '--lifespan', 'x', APPS]]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^portico: .*\(see portico cgi --help\)\n$/);
    }
  });

  rule(
    'SRV-CGI-3',
    'runs the app for the request in its environment: the CGI response on stdout, exit 0',
    async () => {
      const run = await cgi([`${APPS}:asyncApp`], cgiEnv({ PATH_INFO: '/stderr' }));
      expect(run.status).toBe(0);
      expect(run.stdout.toString('latin1')).toBe(
        'Status: 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok\n',
      );
      expect(run.stderr).toBe('a line from the app\n');
    },
  );

  rule('SRV-CGI-2', 'the body is CONTENT_LENGTH bytes of stdin', async () => {
    const run = await cgi(
      [`${APPS}:asyncApp`],
      cgiEnv({ REQUEST_METHOD: 'POST', PATH_INFO: '/echo', CONTENT_LENGTH: '5' }),
      Buffer.from('hello and more'),
    );
    expect(jsonBody(run)).toMatchObject({ length: 5 });
  });

  it('a sync app, told apart by its shape; multiprocess in its environ', async () => {
    const run = await cgi(
      [`${APPS}:syncApp`],
      cgiEnv({ REQUEST_METHOD: 'POST', PATH_INFO: '/x', CONTENT_LENGTH: '3', HTTP_PROXY: 'http://evil' }),
      Buffer.from('abc'),
    );
    expect(run.status).toBe(0);
    expect(jsonBody(run)).toMatchObject({
      PATH_INFO: '/x',
      body: 'abc',
      'portico.multiprocess': true,
      hasProxy: false,
      envProxy: null,
    });
  });

  rule('SRV-CGI-3', '--nph: a whole HTTP/1.1 response', async () => {
    const run = await cgi(['--nph', `${APPS}:asyncApp`], cgiEnv({ PATH_INFO: '/stderr' }));
    const { head, body } = splitResponse(run.stdout);
    expect(head[0]).toBe('HTTP/1.1 200 OK');
    expect(head).toContain('Connection: close');
    expect(body.toString()).toBe('ok\n');
  });

  rule(
    'SRV-CGI-4',
    'the exit status is runCGI’s: an app that throws gives Status: 500 and exit 1',
    async () => {
      const run = await cgi([`${APPS}:asyncApp`], cgiEnv({ PATH_INFO: '/throw-before' }));
      expect(run.status).toBe(1);
      expect(run.stdout.toString('latin1')).toMatch(/^Status: 500 Internal Server Error\r\n/);
      expect(run.stderr).toContain('boom before any output');
    },
  );

  rule('SRV-REQ-4', '--max-body-size: a longer CONTENT_LENGTH gets 413', async () => {
    const run = await cgi(
      ['--max-body-size', '4', `${APPS}:asyncApp`],
      cgiEnv({ REQUEST_METHOD: 'POST', PATH_INFO: '/echo', CONTENT_LENGTH: '5' }),
      Buffer.from('hello'),
    );
    expect(run.status).toBe(0);
    expect(run.stdout.toString('latin1')).toMatch(/^Status: 413 /);
  });

  it('--lifespan on: startup fills the state', async () => {
    const run = await cgi(['--lifespan', 'on', `${APPS}:asyncApp`], cgiEnv({ PATH_INFO: '/scope' }));
    expect(jsonBody(run).state).toEqual({ started: 'yes' });
  });

  it('an app that cannot be loaded under a web server: Status: 500 on stdout, exit 2', async () => {
    const run = await cgi([`${APPS}:noSuchExport`], cgiEnv({ PATH_INFO: '/x' }));
    expect(run.status).toBe(2);
    expect(run.stdout.toString('latin1')).toBe(
      'Status: 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 22\r\n\r\nInternal Server Error\n',
    );
    expect(run.stderr).toMatch(/^portico: module .*apps\.mjs has no export 'noSuchExport'/);
  });

  it('no REQUEST_METHOD: not a CGI request, 400 on stdout, exit 2', async () => {
    const run = await cgi([`${APPS}:asyncApp`], cgiEnv({ REQUEST_METHOD: undefined }));
    expect(run.status).toBe(2);
    expect(run.stdout.toString('latin1')).toMatch(/^Status: 400 Bad Request\r\n/);
  });

  it('the process exits once the response is written, whatever the app left running', async () => {
    // A 60 s timer started before the command stands for what an app may leave running (a pool's
    // keep-alive): `portico cgi` must not wait for it.
    const started = Date.now();
    const run = await runProgram(
      ['--import', 'data:text/javascript,setTimeout(() => {}, 60000)', PORTICO, 'cgi', `${APPS}:asyncApp`],
      cgiEnv({ PATH_INFO: '/stderr' }),
    );
    expect(run.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(splitResponse(run.stdout).body.toString()).toBe('ok\n');
  });
});
