/**
 * Starting a program and stopping it (spec/servers.md SRV-CGI-8, SRV-CGI-9).
 *
 * The program gets standard input, output and error as pipes and nothing else (SRV-CGI-9): every
 * descriptor Node opens is close-on-exec, and at startup Node marks the inherited descriptors 0..15
 * close-on-exec and those after them up to the first gap (libuv's `uv_disable_stdio_inheritance`),
 * but an inherited descriptor past a gap (a socket handed over by systemd, a pipe of a supervisor)
 * stays inheritable, and a plain `spawn` passes it on. The host looks once for descriptors without
 * close-on-exec (Linux: `/proc/self/fdinfo`); when there are any, or when a variable holds bytes
 * that are not UTF-8 (Node encodes environment strings as UTF-8, so it cannot pass such bytes), the
 * program is started through `perl`, which closes every descriptor above 2, sets the environment
 * from hex-encoded bytes, and `exec`s the program in the same process. perl is part of every Debian
 * system (`perl-base`); without it a program that would inherit descriptors is not started (500),
 * and bytes that are not UTF-8 reach the program as U+FFFD.
 *
 * Each program leads its own process group (`detached`), so stopping it stops what it started
 * too: SIGTERM to the group, SIGKILL after the grace period. Node reaps every child it started.
 *
 * @module
 */
import { isUtf8 } from 'node:buffer';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '@portico/server';
import type { ProgramEnvironment } from './environment.js';

/** How a program ended: its exit code or signal, or the error that kept it from starting. */
export type ProgramExit =
  | { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly error?: undefined }
  | { readonly error: Error; readonly code?: undefined; readonly signal?: undefined };

/** A started program. */
export interface RunningProgram {
  readonly child: ChildProcess;
  /** Settles once the program exited and was reaped, or failed to start; never rejects. */
  readonly exited: Promise<ProgramExit>;
  /** Whether `exited` has settled. */
  readonly hasExited: boolean;
  /** Stops the program's process group: SIGTERM now, SIGKILL after the grace period. Idempotent. */
  stop(): void;
}

const O_CLOEXEC = 0o2000000;

let inherited: readonly number[] | null | undefined;

/**
 * Descriptors above 2 that this process holds without close-on-exec, found once (only inheritance
 * makes them: Node and libuv open everything close-on-exec). `null` when the platform cannot tell.
 */
export function inheritedDescriptors(): readonly number[] | null {
  if (inherited !== undefined) return inherited;
  try {
    const found: number[] = [];
    for (const name of readdirSync('/proc/self/fd')) {
      const fd = Number(name);
      if (!(fd > 2)) continue;
      let info: string;
      try {
        info = readFileSync(`/proc/self/fdinfo/${name}`, 'latin1');
      } catch {
        continue; // closed meanwhile (the directory listing's own descriptor)
      }
      const m = /^flags:\s*([0-7]+)/m.exec(info);
      if (m !== null && (Number.parseInt(m[1]!, 8) & O_CLOEXEC) === 0) found.push(fd);
    }
    inherited = found;
  } catch {
    inherited = null;
  }
  return inherited;
}

let perlPath: string | null | undefined;
let warnedLossy = false;

function findPerl(): string | null {
  if (perlPath === undefined) {
    perlPath = null;
    for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/bin']) {
      if (dir === '' || !dir.startsWith('/')) continue;
      if (existsSync(join(dir, 'perl'))) {
        perlPath = join(dir, 'perl');
        break;
      }
    }
  }
  return perlPath;
}

// Closes every descriptor above 2 (`open <&=` adopts a descriptor, `close` closes it; no POSIX
// module, which would cost milliseconds to load), sets the environment from hex pairs, and execs
// the program with its path as argv[0]. On failure: a line on standard error and exit status 127.
const WRAPPER = [
  'if (opendir(my $d, "/proc/self/fd")) { my @f = grep { /^[0-9]+$/ && $_ > 2 } readdir $d; closedir $d;',
  ' for (@f) { if (open(my $h, "<&=", $_)) { close $h } } }',
  ' my $p = shift @ARGV; %ENV = (); while (@ARGV > 1) { my $k = pack("H*", shift @ARGV); $ENV{$k} = pack("H*", shift @ARGV) }',
  ' exec { $p } $p; print STDERR "cannot run $p: $!\\n"; exit 127;',
].join('');

/** Options of {@link startProgram}. */
export interface StartOptions {
  readonly killGrace: number;
  readonly logger: Logger;
}

/**
 * Starts `file` in its own directory with exactly `env`, standard input, output and error as pipes,
 * in a new process group.
 *
 * @returns the program, or `null` when it may not be started without leaking descriptors and no
 *   perl is there to close them (logged)
 */
export function startProgram(
  file: string,
  env: ProgramEnvironment,
  options: StartOptions,
): RunningProgram | null {
  const fds = inheritedDescriptors();
  let rawBytes = false;
  for (const value of env.values()) {
    if (!isUtf8(value)) {
      rawBytes = true;
      break;
    }
  }
  const leaks = fds !== null && fds.length > 0;
  const perl = leaks || rawBytes ? findPerl() : null;
  if (leaks && perl === null) {
    options.logger.error(
      'cgiHost: cannot start a program without leaking descriptors: no perl to close them',
      {
        program: file,
        descriptors: fds.join(','),
        rule: 'SRV-CGI-9',
      },
    );
    return null;
  }
  if (rawBytes && perl === null && !warnedLossy) {
    warnedLossy = true;
    options.logger.warn('cgiHost: no perl: variable bytes that are not UTF-8 reach programs as U+FFFD', {
      rule: 'SRV-CGI-7',
    });
  }
  const spawnOptions = {
    cwd: dirname(file),
    stdio: ['pipe', 'pipe', 'pipe'] as ['pipe', 'pipe', 'pipe'],
    detached: true,
  };
  let child: ChildProcess;
  if (perl !== null) {
    const args = ['-e', WRAPPER, '--', file];
    for (const [name, value] of env)
      args.push(Buffer.from(name, 'utf8').toString('hex'), value.toString('hex'));
    child = spawn(perl, args, { ...spawnOptions, env: {} });
  } else {
    // Every value is valid UTF-8 here (or perl is missing: invalid sequences become U+FFFD).
    const strings: Record<string, string> = {};
    for (const [name, value] of env) strings[name] = value.toString('utf8');
    child = spawn(file, [], { ...spawnOptions, env: strings });
  }
  return track(child, options.killGrace);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone.
  }
}

function track(child: ChildProcess, killGrace: number): RunningProgram {
  let exited = false;
  // Open output pipes: while one is, something of the group may still run after the leader exited.
  let streamsOpen = 2;
  let stopping = false;
  const exit = new Promise<ProgramExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      // Only a failed start: the host never signals through `child.kill`.
      exited = true;
      resolve({ error });
    });
  });
  child.stdin?.on('error', () => {}); // EPIPE when the program closed its input; the exit tells the rest
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('error', () => {});
    stream?.once('close', () => streamsOpen--);
  }
  return {
    child,
    exited: exit,
    get hasExited() {
      return exited;
    },
    stop() {
      if (stopping || child.pid === undefined) return;
      stopping = true;
      const pid = child.pid;
      if (!exited || streamsOpen > 0) signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        // The leader may be gone while others of its group still hold its output open.
        if (!exited || streamsOpen > 0) signalGroup(pid, 'SIGKILL');
      }, killGrace);
      timer.unref();
      void exit.then(() => {
        if (streamsOpen === 0) clearTimeout(timer);
      });
    },
  };
}
