/**
 * nginx running CGI programs through fcgiwrap (Debian's fcgiwrap 1.1): fcgiwrap is a FastCGI
 * server that forks one CGI program per request, named by the SCRIPT_FILENAME param; nginx talks
 * FastCGI to it over a unix socket (examples/deploy/nginx/fcgiwrap.conf for a directory of
 * programs, fcgiwrap-app.conf for one program as an app mounted at a path). Both run in the
 * foreground with their sockets and config in one fresh temp dir; the programs run as root
 * (fcgiwrap's user here).
 *
 * With `-c N` (N > 1) fcgiwrap forks N workers and its parent dies on SIGTERM without stopping
 * them (they keep listening, orphaned): the harness then starts it with `setsid` and stops the
 * whole process group. With one process (the default) there is no fork.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCgiPath } from './cgi-bin.js';
import { fillTempDir, type Launched, launch } from './launch.js';
import { normalizeRootPath, startNginxWithTemplate } from './nginx.js';
import { findBinary } from './peer.js';

/** The fcgiwrap binary ('' when missing outside CI). */
export const fcgiwrapBinary = findBinary('fcgiwrap');
/** `setsid` (util-linux), to start fcgiwrap in a process group of its own. */
const setsidBinary = findBinary('setsid', 'util-linux');

/** Options of {@link startNginxFcgiwrap}. */
export interface NginxFcgiwrapOptions {
  /** The directory of CGI programs, served at /cgi-bin/NAME (one segment; executables only). */
  cgiBin: string;
  /**
   * How many fcgiwrap processes serve requests (`-c`), each running one program at a time;
   * default 1 (requests wait for each other).
   */
  processes?: number;
  /**
   * The PATH of fcgiwrap, which the programs inherit; default {@link defaultCgiPath}. Its
   * environment is only this PATH (and LANG), so that nothing of the test process leaks to them.
   */
  path?: string;
}

/** A running nginx + fcgiwrap pair. */
export interface RunningNginxFcgiwrap {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  baseUrl: string;
  /** nginx's error log, then fcgiwrap's output (and the programs' stderr) so far. */
  logs(): string;
  /** Stops nginx, then fcgiwrap (SIGTERM; SIGKILL after 5 s), and removes their temp dirs. */
  stop(): Promise<void>;
}

/**
 * Starts `fcgiwrap -c N -s unix:DIR/fcgiwrap.sock` (under `setsid` when N > 1), then nginx in
 * front of it from
 * examples/deploy/nginx/fcgiwrap.conf. Resolves once both listen.
 *
 * @throws Error when fcgiwrap or nginx is missing, exits, or does not listen within 10 s (the
 *   message holds its output); fcgiwrap is stopped again when nginx fails
 */
export async function startNginxFcgiwrap(options: NginxFcgiwrapOptions): Promise<RunningNginxFcgiwrap> {
  const cgiBin = options.cgiBin.replace(/\/+$/, '');
  // It goes into the config unquoted, next to an nginx variable.
  if (!/^\/[A-Za-z0-9._/-]*$/.test(cgiBin))
    throw new Error(`cgiBin must be an absolute path of [A-Za-z0-9._/-]: ${JSON.stringify(cgiBin)}`);
  return startPair(options, 'nginx/fcgiwrap.conf', { CGI_BIN: cgiBin });
}

/** Options of {@link startNginxFcgiwrapApp}. */
export interface NginxFcgiwrapAppOptions {
  /** The CGI program serving every path under the mount (absolute path of [A-Za-z0-9._/-]). */
  program: string;
  /**
   * The mount prefix: SCRIPT_NAME is this prefix and PATH_INFO the rest of the path (nginx's
   * decoded `$uri`); default `/` (SCRIPT_NAME empty). Other paths get nginx's 404.
   */
  rootPath?: string;
  /** As in {@link NginxFcgiwrapOptions}. */
  processes?: number;
  /** As in {@link NginxFcgiwrapOptions}. */
  path?: string;
}

/**
 * Starts fcgiwrap and nginx running one CGI program as the app mounted at `rootPath`, from
 * examples/deploy/nginx/fcgiwrap-app.conf. Resolves once both listen.
 *
 * @throws Error as {@link startNginxFcgiwrap}, or when `program` or `rootPath` holds other
 *   characters than [A-Za-z0-9._/-]
 */
export async function startNginxFcgiwrapApp(options: NginxFcgiwrapAppOptions): Promise<RunningNginxFcgiwrap> {
  const root = normalizeRootPath(options.rootPath ?? '/');
  // Both go into the config unquoted (the root inside a regex: no regex characters but `.`).
  for (const value of [options.program, root])
    if (!/^(\/[A-Za-z0-9._/-]*)?$/.test(value))
      throw new Error(`not an absolute path of [A-Za-z0-9._/-]: ${JSON.stringify(value)}`);
  const escaped = root.replace(/\./g, '\\.');
  return startPair(options, 'nginx/fcgiwrap-app.conf', {
    PROGRAM: options.program,
    LOCATION:
      root === ''
        ? '~ "^(?<script_name>)(?<path_info>/.*)$"'
        : `~ "^(?<script_name>${escaped})(?<path_info>/.*)?$"`,
  });
}

/** fcgiwrap (as {@link startNginxFcgiwrap} says), then nginx from `template` with `values`. */
async function startPair(
  options: { processes?: number; path?: string },
  template: string,
  values: Record<string, string>,
): Promise<RunningNginxFcgiwrap> {
  if (fcgiwrapBinary === '') throw new Error('fcgiwrap is not installed (apt-get install fcgiwrap)');
  const { dir, remove } = fillTempDir('fcgiwrap', (dir) => chmodSync(dir, 0o755));
  const socket = join(dir, 'fcgiwrap.sock');
  const processes = options.processes ?? 1;
  const group = processes > 1;
  if (group && setsidBinary === '') throw new Error('setsid is not installed (apt-get install util-linux)');
  const args = ['-c', String(processes), '-s', `unix:${socket}`];
  // setsid execs fcgiwrap in the same process (a child of ours is no group leader): the pid is
  // fcgiwrap's and the id of its new process group.
  const launched = await launch(
    'fcgiwrap',
    group ? setsidBinary : fcgiwrapBinary,
    group ? [fcgiwrapBinary, ...args] : args,
    { path: socket },
    { cwd: dir, env: { PATH: options.path ?? defaultCgiPath(), LANG: 'C.UTF-8' }, cleanup: remove },
  );
  const fcgiwrap = group ? stoppingGroup(launched) : launched;
  try {
    const nginx = await startNginxWithTemplate(template, { ...values, FCGIWRAP: `unix:${socket}` });
    return {
      baseUrl: nginx.baseUrl,
      logs: () => `${nginx.logs()}${fcgiwrap.logs()}`,
      stop: async () => {
        await nginx.stop();
        await fcgiwrap.stop();
      },
    };
  } catch (error) {
    await fcgiwrap.stop();
    throw error;
  }
}

/**
 * `launched` whose stop() first sends SIGTERM to its whole process group (its pid is the group's
 * id) and waits up to 5 s for the group to be gone (then SIGKILL), before the usual stop.
 */
function stoppingGroup(launched: Launched): Launched {
  const pgid = launched.process.child.pid;
  const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
    if (pgid === undefined) return false;
    try {
      process.kill(-pgid, signal);
      return true;
    } catch {
      return false; // ESRCH: nothing left in the group
    }
  };
  return {
    ...launched,
    async stop() {
      signalGroup('SIGTERM');
      const deadline = Date.now() + 5000;
      while (signalGroup(0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      signalGroup('SIGKILL');
      await launched.stop();
    },
  };
}
