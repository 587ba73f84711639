/**
 * Test helpers for the CGI host: a root directory built from test/fixtures/cgi-bin (copied with
 * their execute bits, so a checkout without file modes still works) plus the odd entries the
 * mapping tests need, and a test client for a host mounted at /cgi-bin.
 */

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryLogger } from '../../../../packages/server/test/memory-logger.js';
import { createClient, type TestClient } from '../../../../packages/testing/src/index.js';
import { tempDir } from '../../../../test/peers/peer.js';
import { type CGIHostOptions, cgiHost } from '../../src/index.js';

export { memoryLogger } from '../../../../packages/server/test/memory-logger.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/cgi-bin/', import.meta.url));

export interface CGIRoot {
  /** The directory: `<tmp>/cgi-bin`. */
  readonly root: string;
  /** A directory next to it, outside the root, with an executable `secret.sh`. */
  readonly outside: string;
  readonly remove: () => void;
}

/**
 * Builds `<tmp>/cgi-bin` with every fixture program (mode 0755) and:
 * `sub/nested.sh`, `plain.txt` and `noexec.sh` (mode 0644), `link-in.sh` (a link to hello.sh),
 * `escape.sh` (a link to ../outside/secret.sh), `outdir` (a link to ../outside), `fifo` (a FIFO).
 */
export function makeRoot(): CGIRoot {
  const { dir, remove } = tempDir('cgi-host');
  const root = join(dir, 'cgi-bin');
  const outside = join(dir, 'outside');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(outside);
  for (const name of readdirSync(FIXTURES)) {
    copyFileSync(join(FIXTURES, name), join(root, name));
    chmodSync(join(root, name), 0o755);
  }
  copyFileSync(join(FIXTURES, 'hello.sh'), join(root, 'sub/nested.sh'));
  chmodSync(join(root, 'sub/nested.sh'), 0o755);
  writeFileSync(join(root, 'plain.txt'), 'not a program\n', { mode: 0o644 });
  writeFileSync(join(root, 'noexec.sh'), readFileSync(join(FIXTURES, 'hello.sh')), { mode: 0o644 });
  writeFileSync(join(outside, 'secret.sh'), "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nSECRET\\n'\n", {
    mode: 0o755,
  });
  symlinkSync('hello.sh', join(root, 'link-in.sh'));
  symlinkSync('../outside/secret.sh', join(root, 'escape.sh'));
  symlinkSync('../outside', join(root, 'outdir'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  chmodSync(dir, 0o755);
  return { root, outside, remove };
}

/** A host over `root` mounted at /cgi-bin, under the validator (the client's default), and its log. */
export function hostClient(
  root: string,
  options: Partial<CGIHostOptions> = {},
): { client: TestClient; logger: ReturnType<typeof memoryLogger> } {
  const logger = memoryLogger();
  const app = cgiHost({ root, logger, ...options });
  return { client: createClient(app, { rootPath: '/cgi-bin' }), logger };
}

/** Whether a process is still there (not reaped: a zombie still counts until reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The state letter of a process from /proc (`S`, `R`, `Z`...), or null when it is gone. */
export function processState(pid: number): string | null {
  try {
    return /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Waits until `check` holds, polling every 20 ms, up to `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** The pids a program logged on its standard error (one number per line). */
export function loggedPids(logger: ReturnType<typeof memoryLogger>): number[] {
  return logger.records
    .map((r) => /program stderr: (\d+)$/.exec(r.message)?.[1])
    .filter((p): p is string => p !== undefined)
    .map(Number);
}
