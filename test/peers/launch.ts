/**
 * One way to start a front end or backend for the FastCGI peer harnesses: spawn it in the
 * foreground, wait until it listens, and fail fast (with its output) when it exits first.
 */
import { type PeerProcess, startProcess, tempDir, waitForListen } from './peer.js';

/**
 * Peers still running. When the test process ends without stopping them (a failed `beforeAll`, a
 * worker that vitest ends with SIGTERM), they get SIGTERM too (nginx and php-fpm masters then stop
 * their workers) rather than being left orphaned, and their temp dirs are removed.
 */
const running = new Map<PeerProcess, (() => void) | undefined>();
function stopAllPeers(): void {
  for (const [peer, cleanup] of running) {
    peer.child.kill('SIGTERM');
    try {
      cleanup?.();
    } catch {
      // best effort while exiting
    }
  }
  running.clear();
}
process.once('exit', stopAllPeers);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    stopAllPeers();
    // Our listener is gone now: with no other, the signal's default action (exit) applies again.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

/** A started, listening peer and its temp dir. */
export interface Launched {
  readonly process: PeerProcess;
  /** What the peer wrote to stdout and stderr so far. */
  logs(): string;
  /** Stops the peer (SIGTERM, SIGKILL after 5 s) and then runs `cleanup` (once). */
  stop(): Promise<void>;
}

/**
 * Spawns `command args` and resolves once `listen` accepts connections.
 *
 * @throws Error when the process exits before listening or nothing listens after 10 s; the peer
 *   is stopped, `cleanup` has run, and the message holds the peer's output
 */
export async function launch(
  name: string,
  command: string,
  args: readonly string[],
  listen: { port: number } | { path: string },
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    /** Runs once after the peer exited (e.g. removes its temp dir). */
    cleanup?: () => void;
    /** More output for a failure message, e.g. a log file the peer writes (read before cleanup). */
    extraOutput?: () => string;
  } = {},
): Promise<Launched> {
  const proc = startProcess(command, args, { cwd: options.cwd, env: options.env });
  running.set(proc, options.cleanup);
  proc.child.once('exit', () => running.delete(proc));
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= proc.stop().finally(() => options.cleanup?.());
    return stopped;
  };
  const exited = new Promise<never>((_, reject) => {
    proc.child.once('error', (error) => reject(new Error(`${name} did not start: ${error.message}`)));
    proc.child.once('exit', (code, signal) =>
      reject(new Error(`${name} exited (${code ?? signal}) before listening`)),
    );
  });
  exited.catch(() => {});
  try {
    await Promise.race([waitForListen(listen), exited]);
  } catch (error) {
    const extra = options.extraOutput?.() ?? '';
    await stop();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${name}: ${message}\n--- ${name} output ---\n${proc.output()}${extra}`, {
      cause: error,
    });
  }
  return { process: proc, logs: proc.output, stop };
}

/**
 * Makes a fresh temp dir (`portico-<prefix>-*`) and fills it with `write` (configs, scripts); the
 * dir is removed again when `write` throws (e.g. a template names a value it was not given).
 */
export function fillTempDir<T>(
  prefix: string,
  write: (dir: string) => T,
): { dir: string; remove: () => void; value: T } {
  const { dir, remove } = tempDir(prefix);
  try {
    return { dir, remove, value: write(dir) };
  } catch (error) {
    remove();
    throw error;
  }
}
