/**
 * A CGI host served over HTTP in a process of its own (serve-host.mjs, from dist/), started with
 * only the descriptors a test chooses, and a plain node:http client for it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { until } from './helpers.js';

const serveHost = fileURLToPath(new URL('./serve-host.mjs', import.meta.url));

// Closes every descriptor above 2 but `keep` (the test runner's own may be inherited), then runs the rest.
const CLOSER =
  'my $keep = shift @ARGV; opendir(my $d, "/proc/self/fd"); my @f = grep { /^[0-9]+$/ && $_ > 2 && $_ != $keep } readdir $d;' +
  ' closedir $d; for (@f) { if (open(my $h, "<&=", $_)) { close $h } } exec { $ARGV[0] } @ARGV or die "exec: $!"';

/**
 * The descriptor a host is made to inherit. Node marks 0..15 close-on-exec at startup, and the ones
 * after them up to the first gap (libuv's `uv_disable_stdio_inheritance`); one past a gap stays
 * inheritable, as a socket handed over by systemd or a pipe of a supervisor can be.
 */
export const INHERITED = 40;

let children: ChildProcess[] = [];

/** Kills the hosts started so far (for `afterEach`). */
export async function stopHosts(): Promise<void> {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  children = [];
}

/** Starts serve-host.mjs over `root` with descriptors 0..2, plus `inherit` (a pipe) when given. */
export async function startHost(root: string, inherit?: number): Promise<{ pid: number; url: string }> {
  const stdio: ('ignore' | 'pipe' | 'inherit')[] = ['ignore', 'pipe', 'inherit'];
  if (inherit !== undefined) stdio.push(...Array<'ignore'>(inherit - 3).fill('ignore'), 'pipe');
  const args = ['-e', CLOSER, '--', String(inherit ?? -1), process.execPath, serveHost, root];
  const child = spawn('perl', args, { stdio });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`serve-host exited with ${code}`)));
  });
  return { pid: child.pid!, url };
}

/** The descriptors a process holds, as numbers, sorted. */
export function descriptors(pid: number): number[] {
  return readdirSync(`/proc/${pid}/fd`)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * The descriptors of `pid` once its start-up is over. Right after the exec, /proc already shows the
 * new command line while the kernel has not yet closed the shell's close-on-exec descriptors, and
 * then the loader of a dynamically linked `sleep` opens (and closes) its libraries: a read in that
 * window sees one more than the program keeps. So this reads until only 0..2 are left, and returns
 * the last set it read when that does not happen within `ms` (a descriptor that really leaked stays).
 */
export async function settledDescriptors(pid: number, ms = 1500): Promise<number[]> {
  let seen: number[] = [];
  await until(() => {
    try {
      seen = descriptors(pid);
    } catch {
      return true; // the process is gone: keep the last set read
    }
    return seen.length === 3 && seen[0] === 0 && seen[1] === 1 && seen[2] === 2;
  }, ms);
  return seen;
}

/** GETs `path`, calls `onFirst` with the first body chunk while the response is still open. */
export function get(
  url: string,
  path: string,
  onFirst?: (chunk: string) => void,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => {
        if (body === '') onFirst?.(chunk);
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs fds.sh through the host at `url` and reads the descriptors of the `sleep` it becomes. */
export async function programDescriptors(url: string): Promise<{ status: number; seen: number[] }> {
  let pid = 0;
  const pending = get(url, '/fds.sh?2', (chunk) => {
    pid = Number(chunk.trim());
  });
  const ready = await until(
    () => pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('sleep'),
  );
  const seen = ready ? await settledDescriptors(pid) : [];
  return { status: (await pending).status, seen };
}
