/**
 * Runs a CGI program (fixtures/program.mjs, or the `portico cgi` command) in a child process, the way
 * a web server does: a clean environment of meta-variables, the body on stdin, the response read
 * from stdout. Meta-variables are byte strings (one character per byte) and reach the child as
 * those bytes: Node encodes `env` values of `spawn` as UTF-8, so the child is started through
 * `/bin/sh`, whose `printf` writes each byte from an octal escape.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The apps of the tests (a module exporting `asyncApp` and `syncApp`). */
export const APPS = fileURLToPath(new URL('./fixtures/apps.mjs', import.meta.url));
/** The test program (runs the built package). */
export const PROGRAM = fileURLToPath(new URL('./fixtures/program.mjs', import.meta.url));
/** The `portico` command (built). */
export const PORTICO = fileURLToPath(new URL('../../../../packages/cli/bin/portico.js', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** Throws when the package is not built: the child processes run dist/. */
export function requireBuild(): void {
  if (!existsSync(DIST)) throw new Error('adapters/cgi/dist is missing: run npx tsc -b first');
}

/** The meta-variables of a GET of /cgi-bin/app (RFC 3875 section 4.1), plus `extra`. */
export function cgiEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_SOFTWARE: 'test',
    SERVER_NAME: 'example.org',
    SERVER_PORT: '8080',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: '/cgi-bin/app',
    QUERY_STRING: '',
    REMOTE_ADDR: '192.0.2.7',
    REMOTE_PORT: '40000',
    HTTP_HOST: 'example.org:8080',
    ...extra,
  };
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  return out;
}

/** A shell word that expands to the bytes of `value` (a byte string), from ASCII only. */
function bytesWord(value: string): string {
  let format = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff) throw new Error(`not a byte string: ${JSON.stringify(value)}`);
    const plain = c >= 0x20 && c < 0x7f && c !== 0x27 && c !== 0x5c && c !== 0x25;
    format += plain ? value[i] : `\\${c.toString(8).padStart(3, '0')}`;
  }
  // A trailing x keeps trailing newlines from being stripped by $(...).
  return `"$(printf '${format}x')"`;
}

const quote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;

/** How the shell around the program arranges its standard input and output. */
export interface ShellOptions {
  /** A file piped into the program through `cat` (a real pipe). */
  readonly stdinFrom?: string;
  /** A shell command run after node, on the same standard input and output. */
  readonly afterwards?: string;
  /** Files (named pipes) the program's standard input and output are redirected from and to. */
  readonly redirect?: { readonly stdin: string; readonly stdout: string };
}

/**
 * The `sh -c` script that runs `node ...args` with exactly `env` as its environment (byte strings),
 * its standard input and output arranged as `options` says.
 */
export function shellCommand(
  env: Record<string, string>,
  args: readonly string[],
  options: ShellOptions = {},
): string {
  const assignments: string[] = [];
  const names: string[] = [];
  Object.entries(env).forEach(([name, value], i) => {
    assignments.push(`v${i}=${bytesWord(value)}; v${i}=\${v${i}%x}`);
    names.push(`${name}="$v${i}"`);
  });
  const redirect =
    options.redirect === undefined
      ? ''
      : ` < ${quote(options.redirect.stdin)} > ${quote(options.redirect.stdout)}`;
  const node = `env -i ${names.join(' ')} ${quote(process.execPath)} ${args.map(quote).join(' ')}${redirect}`;
  const run = options.afterwards === undefined ? `exec ${node}` : `${node}; ${options.afterwards}`;
  const script = options.stdinFrom === undefined ? run : `cat ${quote(options.stdinFrom)} | { ${run}; }`;
  return `${assignments.join('\n')}\n${script}`;
}

/** How standard input is given to the program. */
export type Stdin =
  | { readonly kind: 'null' }
  /** Node's `pipe` (a socket pair on Linux), written and closed by the test. */
  | { readonly kind: 'socket'; readonly data: Uint8Array }
  /** A real pipe: `cat FILE | node ...`. */
  | { readonly kind: 'pipe'; readonly file: string }
  /** Node's `pipe`, left open for the test to write to (`child.stdin`). */
  | { readonly kind: 'stream' }
  /** An open file descriptor (a regular file, ...). */
  | { readonly kind: 'fd'; readonly fd: number }
  /** A connected socket, as both standard input and standard output (mod_cgid). */
  | { readonly kind: 'shared'; readonly socket: Socket };

/** What a program run gave. */
export interface ProgramRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Starts `node ...args` with `env` (byte strings) and `stdin`; stdout (unless given) and stderr are pipes. */
export function startProgram(
  args: readonly string[],
  env: Record<string, string>,
  stdin: Stdin = { kind: 'null' },
  options: Omit<ShellOptions, 'stdinFrom'> & { readonly stdout?: number } = {},
): ChildProcess {
  const script = shellCommand(env, args, {
    ...(options.afterwards === undefined ? {} : { afterwards: options.afterwards }),
    ...(options.redirect === undefined ? {} : { redirect: options.redirect }),
    ...(stdin.kind === 'pipe' ? { stdinFrom: stdin.file } : {}),
  });
  const stdio =
    stdin.kind === 'shared'
      ? [stdin.socket, stdin.socket, 'pipe']
      : [
          stdin.kind === 'fd'
            ? stdin.fd
            : stdin.kind === 'socket' || stdin.kind === 'stream'
              ? 'pipe'
              : 'ignore',
          options.stdout ?? 'pipe',
          'pipe',
        ];
  const child = spawn('/bin/sh', ['-c', script], { stdio: stdio as ('pipe' | 'ignore' | number | Socket)[] });
  if (stdin.kind === 'socket') child.stdin!.end(Buffer.from(stdin.data));
  return child;
}

/** Runs `node ...args` to its end and collects its output. */
export function runProgram(
  args: readonly string[],
  env: Record<string, string>,
  stdin: Stdin = { kind: 'null' },
  afterwards?: string,
): Promise<ProgramRun> {
  const child = startProgram(args, env, stdin, afterwards === undefined ? {} : { afterwards });
  return collect(child);
}

/** Collects stdout (bytes) and stderr (text) of a started child until it exits. */
export function collect(child: ChildProcess): Promise<ProgramRun> {
  const out: Buffer[] = [];
  let err = '';
  // resume(): a stream paused on purpose does not flow again by a 'data' listener alone.
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk)).resume();
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  child.stdin?.on('error', () => {});
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) =>
      resolve({ status, signal, stdout: Buffer.concat(out), stderr: err }),
    );
  });
}

/** Runs fixtures/program.mjs with `args`. */
export function runCGIProgram(
  env: Record<string, string>,
  stdin: Stdin = { kind: 'null' },
  args: readonly string[] = [],
  afterwards?: string,
): Promise<ProgramRun> {
  return runProgram([PROGRAM, ...args], env, stdin, afterwards);
}

/** A CGI response split at the blank line: the head's lines and the body bytes. */
export function splitResponse(stdout: Buffer): { head: string[]; body: Buffer } {
  const end = stdout.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no blank line in ${JSON.stringify(stdout.toString('latin1').slice(0, 200))}`);
  return {
    head: stdout.subarray(0, end).toString('latin1').split('\r\n'),
    body: stdout.subarray(end + 4),
  };
}

/** The JSON body of a response whose head is `Status: 200 OK`. */
export function jsonBody(run: ProgramRun): Record<string, unknown> {
  const { head, body } = splitResponse(run.stdout);
  if (head[0] !== 'Status: 200 OK') throw new Error(`status ${head[0]}; stderr: ${run.stderr}`);
  return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
}
