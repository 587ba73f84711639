/**
 * Runs the built `portico` command (packages/cli/bin/portico.js) in a child process, for the CLI
 * tests. Needs `pnpm build` first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root: the working directory of every spawned command. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/portico.js', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** A running `portico` process with its output so far. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** Settles with the exit status (or the signal that ended it) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Set<() => void>();

  constructor(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    if (!existsSync(DIST)) throw new Error('packages/cli/dist is missing: run pnpm build first');
    this.child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s;
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        resolve({ code, signal });
        this.notify();
      });
    });
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  /**
   * Waits until `pattern` matches the named output and returns the match. Rejects after `timeoutMs`
   * or when the process exits first, with its output in the message.
   */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      let exited = false;
      void this.exited.then(() => {
        exited = true;
        check();
      });
      const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern}`)), timeoutMs);
      const done = (err: Error | null, match?: RegExpExecArray): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (err === null) resolve(match!);
        else reject(new Error(`${err.message}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`));
      };
      const check = (): void => {
        const match = pattern.exec(this[stream]);
        if (match !== null) done(null, match);
        else if (exited) done(new Error(`exited before printing ${pattern}`));
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for the server's `listening address=http://HOST:PORT` log line and returns the base URL. */
  async url(): Promise<string> {
    const match = await this.waitFor('stderr', /listening address=(http:\/\/\S+)/);
    return match[1]!;
  }

  /** Sends SIGKILL if the process still runs (test clean-up). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Runs `portico ...args` to completion. */
export async function runCli(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = new CliProcess(args);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}
