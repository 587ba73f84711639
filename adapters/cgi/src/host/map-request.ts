/**
 * From a request path to a program under the root (spec/servers.md SRV-CGI-6), the way Apache's
 * `ScriptAlias` and Python's `CGIHTTPRequestHandler` map `/cgi-bin/name/extra`: the decoded path is
 * walked segment by segment under the root until a segment names a file; that file is the program,
 * what came before it is the script name, what follows is `PATH_INFO`.
 *
 * Refused before the file system is touched (404): a `.` or `..` segment anywhere in the decoded
 * path (so `%2e%2e` too), an encoded slash (`%2F`, Apache's `AllowEncodedSlashes Off`), a NUL. Then:
 * a name that does not exist (404); a program whose real path, symbolic links resolved, is not under
 * the root's real path (404: a symbolic link out of the root); a directory, a file without an
 * execute bit, anything but a regular file (403).
 *
 * @module
 */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** A request that names a program. */
export interface ProgramTarget {
  readonly ok: true;
  /** The program's absolute path: the root joined with the script segments (`SCRIPT_FILENAME`). */
  readonly file: string;
  /** The script segments under the root, with a leading `/` (`/sub/prog.sh`); decoded. */
  readonly script: string;
  /** The rest of the path after the program's name, `""` or starting with `/`; decoded. */
  readonly pathInfo: string;
}

/** A request that names no program: the status to answer and why (for the log). */
export interface Refusal {
  readonly ok: false;
  readonly status: 403 | 404;
  readonly reason: string;
}

function refuse(status: 403 | 404, reason: string): Refusal {
  return { ok: false, status, reason };
}

const ENCODED_SLASH = /%2f/i;

/**
 * Finds the program a request path names under `root`.
 *
 * @param root - the absolute root directory
 * @param path - the decoded request path below the host's mount point (`scope.path`)
 * @param rawPath - the request path as sent (`scope.rawPath`), checked for encoded slashes
 */
export async function mapRequest(
  root: string,
  path: string,
  rawPath: string,
): Promise<ProgramTarget | Refusal> {
  if (ENCODED_SLASH.test(rawPath)) return refuse(404, 'encoded slash in the path (SRV-CGI-6)');
  if (path.includes('\0')) return refuse(404, 'NUL in the path');
  if (path !== '' && path.charCodeAt(0) !== 0x2f) return refuse(404, 'path does not start with /');
  const segments = path.split('/');
  for (const segment of segments) {
    if (segment === '.' || segment === '..') return refuse(404, 'dot segment in the path (SRV-CGI-6)');
  }
  let dir = root;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '') return refuse(403, 'path names a directory');
    const file = join(dir, segment);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'EACCES' ? refuse(403, 'permission denied') : refuse(404, 'no such program');
    }
    if (info.isDirectory()) {
      dir = file;
      continue;
    }
    if (!info.isFile()) return refuse(403, 'not a regular file');
    // `SRV-CGI-6`: the program must really be under the root, whatever links lead to it.
    if (!(await isUnder(file, root))) return refuse(404, 'program is outside the root (symbolic link)');
    if ((info.mode & 0o111) === 0 || !(await executable(file))) return refuse(403, 'file is not executable');
    const rest = segments.slice(i + 1);
    return {
      ok: true,
      file,
      script: `/${segments.slice(1, i + 1).join('/')}`,
      pathInfo: rest.length === 0 ? '' : `/${rest.join('/')}`,
    };
  }
  return refuse(403, 'path names a directory');
}

async function isUnder(file: string, root: string): Promise<boolean> {
  try {
    const [realFile, realRoot] = await Promise.all([realpath(file), realpath(root)]);
    return realFile.startsWith(realRoot === '/' ? '/' : `${realRoot}/`);
  } catch {
    return false;
  }
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
