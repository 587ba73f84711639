// @ts-check
/**
 * Processes of the FastCGI bench: starting a daemon in the foreground (pinned to a CPU when asked),
 * waiting for its port, reading its memory, stopping it. Plain JavaScript twins of the helpers in
 * test/peers/peer.ts (that file is TypeScript and the bench runs without a loader).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * @typedef {object} Daemon
 * @property {number} pid  the process id (of `taskset`'s exec'd program: taskset execs in place)
 * @property {() => string} output  what it wrote to stdout and stderr so far (last 64 KiB)
 * @property {() => boolean} exited  whether it has exited
 * @property {Promise<void>} exit  resolves when it exits
 * @property {() => Promise<void>} stop  SIGTERM (SIGKILL after 5 s); resolves once it exited
 */

/**
 * Spawns `command args` in the foreground, pinned to `cpu` with `taskset -c` unless `cpu` is null.
 * @param {string} command
 * @param {readonly string[]} args
 * @param {{ cpu: number | null, cwd?: string, env?: NodeJS.ProcessEnv }} o
 * @returns {Daemon}
 */
export function startDaemon(command, args, o) {
  const [cmd, argv] = o.cpu === null ? [command, args] : ['taskset', ['-c', String(o.cpu), command, ...args]];
  const child = spawn(cmd, argv, {
    cwd: o.cwd,
    env: o.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  /** @param {string} s */
  const keep = (s) => {
    out = (out + s).slice(-65536);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  let spawnFailed = false;
  const exit = new Promise((resolve) => {
    child.on('exit', () => resolve(undefined));
    child.on('error', (err) => {
      spawnFailed = true;
      keep(`${err.message}\n`);
      resolve(undefined);
    });
  });
  const exited = () => spawnFailed || child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid ?? 0,
    output: () => out,
    exited,
    exit: exit.then(() => undefined),
    async stop() {
      if (exited()) return;
      const done = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** A free TCP port on 127.0.0.1 (bound once and released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once 127.0.0.1:`port` accepts a connection. Rejects when `daemon` exits first (with its
 * output) or after `timeoutMs`.
 * @param {number} port
 * @param {Daemon} daemon
 * @param {string} label
 * @param {number} [timeoutMs]
 */
export async function waitForPort(port, daemon, label, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (daemon.exited()) throw new Error(`${label} exited before listening:\n${daemon.output().trim()}`);
    const ok = await new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${label} does not listen on 127.0.0.1:${port} after ${timeoutMs} ms:\n${daemon.output()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A temporary directory readable by daemons that drop privileges (mode 755).
 * @param {string} prefix
 */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `portico-bench-${prefix}-`));
  chmodSync(dir, 0o755);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Resident set size of process `pid` in KiB (`VmRSS` of /proc/PID/status; Linux only).
 * @param {number} pid
 */
export function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (m === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

/**
 * CPU time used so far by process `pid` and its direct children (PHP-FPM's and nginx's master and
 * workers), in seconds: utime + stime of /proc/PID/stat (Linux only; clock ticks of 1/100 s, the
 * USER_HZ of every Linux architecture the bench runs on).
 * @param {number} pid
 */
export function cpuSeconds(pid) {
  /** @type {number[]} */
  const pids = [pid];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== null && stat.ppid === pid) pids.push(Number(entry));
  }
  return pids.reduce((sum, p) => sum + (procStat(p)?.ticks ?? 0), 0) / 100;
}

/**
 * ppid and utime + stime (ticks) of /proc/PID/stat, or null when the process is gone.
 * @param {number} pid
 */
function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15 (proc(5)).
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}
