import { describe, expect, it } from 'vitest';
import { serveHelp } from '../src/help.js';
import { parseServeArgs, SERVE_OPTIONS, type ServeOptions } from '../src/serve-options.js';

function parse(...argv: string[]): ServeOptions {
  const parsed = parseServeArgs(argv);
  if (parsed === 'help') throw new Error('unexpected help');
  return parsed;
}

function failure(...argv: string[]): string {
  try {
    parseServeArgs(argv);
  } catch (err) {
    expect((err as { code?: unknown }).code).toBe('ERR_INVALID_OPTION');
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`expected ${argv.join(' ')} to be refused`);
}

describe('parseServeArgs', () => {
  it('fills in the documented defaults', () => {
    expect(parse('app.js')).toEqual({
      target: 'app.js',
      adapter: 'http',
      fastcgi: {},
      bind: ['127.0.0.1:8000'],
      interface: 'auto',
      rootPath: null,
      socketMode: null,
      limits: {},
      lifespan: 'auto',
      logLevel: 'info',
      accessLog: '-',
    });
  });

  it('reads every option, in both --name value and --name=value forms', () => {
    const o = parse(
      'app.ts:hello',
      '--adapter=http',
      '-b',
      '0.0.0.0:80',
      '--bind',
      'unix:/tmp/a.sock',
      '--interface',
      'sync',
      '--root-path=/api/',
      '--socket-mode',
      '660',
      '--max-header-size',
      '8k',
      '--max-headers-count',
      '50',
      '--max-body-size=10m',
      '--headers-timeout',
      '5s',
      '--request-timeout',
      '30000',
      '--keep-alive-timeout',
      '750ms',
      '--idle-timeout',
      '1.5s',
      '--max-connections',
      '1000',
      '--shutdown-timeout',
      '10s',
      '--lifespan',
      'off',
      '--log-level',
      'debug',
      '--access-log',
      'off',
    );
    expect(o).toEqual({
      target: 'app.ts:hello',
      adapter: 'http',
      fastcgi: {},
      bind: ['0.0.0.0:80', 'unix:/tmp/a.sock'],
      interface: 'sync',
      rootPath: '/api',
      socketMode: 0o660,
      limits: {
        maxHeaderSize: 8192,
        maxHeadersCount: 50,
        maxBodySize: 10 * 1024 * 1024,
        headersTimeout: 5000,
        requestTimeout: 30000,
        keepAliveTimeout: 750,
        idleTimeout: 1500,
        maxConnections: 1000,
        shutdownTimeout: 10000,
      },
      lifespan: 'off',
      logLevel: 'debug',
      accessLog: 'off',
    });
  });

  it('takes - as the access-log value (stdout) and a path as a file', () => {
    expect(parse('a.js', '--access-log', '-').accessLog).toBe('-');
    expect(parse('a.js', '--access-log', 'logs/access.log').accessLog).toBe('logs/access.log');
  });

  it('returns help for --help and -h, whatever else is given', () => {
    expect(parseServeArgs(['--help'])).toBe('help');
    expect(parseServeArgs(['app.js', '-h'])).toBe('help');
  });

  it('names an unknown option', () => {
    expect(failure('app.js', '--bogus')).toBe('unknown option --bogus');
    expect(failure('app.js', '-x')).toBe('unknown option -x');
  });

  it('names an option missing its value', () => {
    expect(failure('app.js', '--bind')).toBe('option --bind needs a value');
    expect(failure('app.js', '--root-path', '--lifespan', 'on')).toBe('option --root-path needs a value');
  });

  it('refuses a value for --help', () => {
    expect(failure('app.js', '--help=yes')).toBe('option --help takes no value');
  });

  it('names a bad choice and lists the allowed ones', () => {
    expect(failure('app.js', '--interface', 'wsgi')).toBe(
      'option --interface: expected one of auto, sync, async, got "wsgi"',
    );
    expect(failure('app.js', '--log-level', 'verbose')).toContain('debug, info, warn, error, silent');
    expect(failure('app.js', '--lifespan', 'yes')).toContain('auto, on, off');
  });

  it('reads the FastCGI options, with port 9000 by default and SCRIPT_NAME as the root path', () => {
    const o = parse(
      'app.js',
      '--adapter',
      'fastcgi',
      '--multiplex',
      'off',
      '--max-requests',
      '64',
      '--max-requests-per-connection=1000',
      '--max-params-size',
      '32k',
    );
    expect(o).toMatchObject({
      adapter: 'fastcgi',
      bind: ['127.0.0.1:9000'],
      rootPath: null,
      fastcgi: { multiplex: false, maxRequests: 64, maxRequestsPerConnection: 1000, maxParamsSize: 32768 },
    });
    expect(parse('app.js', '--adapter', 'fastcgi', '--root-path', '/app').rootPath).toBe('/app');
    expect(failure('app.js', '--adapter', 'fastcgi', '--multiplex', 'maybe')).toContain('on, off');
    expect(failure('app.js', '--adapter', 'fastcgi', '--max-requests', '0')).toContain(
      'option --max-requests',
    );
  });

  it('reads --socket-mode as octal and refuses anything else', () => {
    expect(parse('app.js', '--socket-mode', '0o666').socketMode).toBe(0o666);
    expect(parse('app.js', '--socket-mode', '0600').socketMode).toBe(0o600);
    expect(failure('app.js', '--socket-mode', '999')).toContain('option --socket-mode');
  });

  it('refuses FastCGI options with another adapter', () => {
    expect(failure('app.js', '--multiplex', 'off')).toBe(
      'option --multiplex applies to --adapter fastcgi only',
    );
  });

  it('takes the scgi adapter, on port 4000 by default', () => {
    expect(parse('app.js', '--adapter', 'scgi')).toMatchObject({ adapter: 'scgi', bind: ['127.0.0.1:4000'] });
  });

  it('refuses an unknown adapter', () => {
    expect(failure('app.js', '--adapter', 'gopher')).toContain('expected one of http, fastcgi, scgi');
  });

  it('names bad limit values', () => {
    expect(failure('app.js', '--max-body-size', '12q')).toContain('option --max-body-size');
    expect(failure('app.js', '--headers-timeout', 'soon')).toContain('option --headers-timeout');
    expect(failure('app.js', '--max-connections', '0')).toContain('option --max-connections');
  });

  it('checks the limits together, naming the options as typed', () => {
    expect(failure('app.js', '--max-header-size', '0')).toBe(
      'option --max-header-size must be an integer >= 1, got 0',
    );
    expect(failure('app.js', '--headers-timeout', '100s', '--request-timeout', '10s')).toMatch(
      /^option --headers-timeout \(100000\) must not exceed --request-timeout \(10000\)/,
    );
    expect(parse('app.js', '--headers-timeout', '100s', '--request-timeout', '0').limits).toEqual({
      headersTimeout: 100000,
      requestTimeout: 0,
    });
  });

  it('refuses a root path without a leading slash', () => {
    expect(failure('app.js', '--root-path', 'api')).toContain('option --root-path');
  });

  it('needs exactly one app', () => {
    expect(failure()).toContain('missing the app to serve');
    expect(failure('--lifespan', 'on')).toContain('missing the app to serve');
    expect(failure('a.js', 'b.js')).toBe('unexpected argument "b.js"');
  });
});

describe('--bind', () => {
  it.each(['127.0.0.1:8000', 'localhost:0', '0.0.0.0:65535', '[::1]:8080', 'unix:/tmp/p.sock', 'fd://3'])(
    'passes %s on unchanged',
    (text) => {
      expect(parse('app.js', '--bind', text).bind).toEqual([text]);
    },
  );

  it.each(['127.0.0.1:65536', '::1:8080', 'unix:', 'host:port', 'a b:80', 'http://x:80'])(
    'refuses %j',
    (text) => {
      expect(failure('app.js', '--bind', text)).toMatch(/^option --bind: invalid bind /);
    },
  );
});

describe('serveHelp', () => {
  it('lists every option with its help line and its default', () => {
    const help = serveHelp();
    for (const option of SERVE_OPTIONS) {
      const at = help.indexOf(`--${option.name}`);
      expect(at).toBeGreaterThan(0);
      const block = help.slice(at).split('\n').slice(0, 3);
      expect(block[1]?.trim()).toBe(option.help);
      if (option.kind !== 'flag') expect(block[2]?.trim()).toBe(`default: ${option.default}`);
    }
  });

  it('shows the limit defaults of @portico/server', () => {
    const help = serveHelp();
    expect(help).toMatch(/--max-header-size BYTES\n.*\n +default: 16k\n/);
    expect(help).toMatch(/--max-body-size BYTES\n.*\n +default: 100m\n/);
    expect(help).toMatch(/--shutdown-timeout TIME\n.*\n +default: 30s\n/);
  });
});
