/**
 * Starting real peers (nginx, apache2, lighttpd, haproxy, caddy, cgi-fcgi, php-fpm, ...) on loopback
 * for tests and benchmarks. A peer's binary is looked up once; a test suite is skipped when it is
 * missing, except under `CI`, where a missing peer is a failure (engineering rule 5).
 *
 * Config files are templates kept in `examples/deploy/`: `{{NAME}}` placeholders are replaced by
 * {@link renderTemplate} and the result is written to a per-run temporary directory.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the deployment config templates live. */
export const DEPLOY_DIR = join(REPO_ROOT, 'examples/deploy');

/**
 * The absolute path of a binary, or `''` when it is not installed. Looks in PATH and in the sbin
 * directories Debian puts daemons in.
 *
 * @throws Error under `CI` when the binary is missing (a missing peer is a failure there)
 */
export function findBinary(name: string, debianPackage = name): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin']) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  if (process.env.CI) throw new Error(`${name} is required under CI (apt-get install ${debianPackage})`);
  return '';
}

/** A free TCP port on 127.0.0.1 (bound once and released; good enough on a test machine). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Resolves once a TCP port (or a unix socket path) accepts connections; rejects after `timeoutMs`. */
export async function waitForListen(
  target: { port: number; host?: string } | { path: string },
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((done) => {
      const socket =
        'path' in target
          ? connect({ path: target.path })
          : connect({ port: target.port, host: target.host ?? '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listens on ${JSON.stringify(target)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A temporary directory for one peer run, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `portico-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Replaces every `{{NAME}}` in a template from `examples/deploy/` with `values[NAME]`.
 *
 * @throws Error when the template uses a name `values` does not have
 */
export function renderTemplate(relativePath: string, values: Record<string, string | number>): string {
  const text = readFileSync(join(DEPLOY_DIR, relativePath), 'utf8');
  return text.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${relativePath}: no value for {{${name}}}`);
    return String(value);
  });
}

/** Writes a rendered template into `dir` as `fileName`; returns its path. */
export function writeConfig(dir: string, fileName: string, text: string): string {
  const path = join(dir, fileName);
  writeFileSync(path, text);
  return path;
}

/** A started peer process. */
export interface PeerProcess {
  readonly child: ChildProcess;
  /** What it wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Sends `signal` (default SIGTERM) and resolves once it exited (SIGKILL after 5 s). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns a peer in the foreground, capturing its output. */
export function startProcess(
  command: string,
  args: readonly string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    stdio?: 'pipe' | ['pipe' | 'ignore' | number, 'pipe', 'pipe'];
  } = {},
): PeerProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.length > 1 << 20) out = out.slice(-(1 << 19));
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.length > 1 << 20) out = out.slice(-(1 << 19));
  });
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
  return {
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a command to completion and returns its stdout (throws with stderr on a non-zero exit). */
export function runSync(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
