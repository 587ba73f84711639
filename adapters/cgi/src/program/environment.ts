/**
 * The CGI meta-variables of the running process (RFC 3875 section 4), as the bytes the web server
 * put in the environment (`SRV-CGI-1`). `process.env` decodes every value as UTF-8 and turns bytes
 * that are not UTF-8 into U+FFFD, so a `PATH_INFO` of `/caf\xe9` (Latin-1 é, as a Windows client or
 * an old link may send it) would reach the app already damaged; Linux keeps the environment block
 * the process was started with in `/proc/self/environ`, NUL-separated `NAME=value` entries.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/**
 * Splits an environment block (`NAME=value\0NAME=value\0...`, the layout of `/proc/<pid>/environ`)
 * into a flat list `[name0, value0, name1, value1, ...]` of byte strings (one character per byte),
 * in the order of the block. An entry without `=` is skipped (the kernel does not check the block's
 * contents; `execve` takes whatever strings it is given); a name keeps its bytes as they are.
 *
 * @param block - the raw bytes
 */
export function parseEnvironBlock(block: Uint8Array): string[] {
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString('latin1');
  const list: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\0', start);
    if (end < 0) end = text.length;
    const eq = text.indexOf('=', start + 1);
    // `=` at the very start is part of the name (cmd.exe's `=C:` entries); a name is never empty.
    if (eq > 0 && eq < end) list.push(text.slice(start, eq), text.slice(eq + 1, end));
    start = end + 1;
  }
  return list;
}

/**
 * A `Record` of byte-string values (tests, embedding) or `process.env` as a flat variable list.
 * Values of `process.env` are JavaScript strings decoded from UTF-8; they are encoded back to UTF-8
 * so that every value of the list is a byte string, as one read from `/proc/self/environ` is.
 */
export function variableListOf(env: Readonly<Record<string, string | undefined>>, utf8: boolean): string[] {
  const list: string[] = [];
  for (const name of Object.keys(env)) {
    const value = env[name];
    if (typeof value !== 'string') continue;
    list.push(
      utf8 ? Buffer.from(name, 'utf8').toString('latin1') : name,
      utf8 ? Buffer.from(value, 'utf8').toString('latin1') : value,
    );
  }
  return list;
}

/**
 * The process's environment as a flat list of byte strings (`SRV-CGI-1`): from `/proc/self/environ`
 * on Linux (the block the process was started with: changes made through `process.env` since are
 * not in it, which is what a CGI program wants), else from `process.env` (bytes that were not UTF-8
 * are U+FFFD there; nothing better is portable).
 *
 * @param procPath - the file to read, for tests; default `/proc/self/environ`
 */
export function readProcessVariables(procPath = '/proc/self/environ'): string[] {
  if (process.platform === 'linux') {
    try {
      return parseEnvironBlock(readFileSync(procPath));
    } catch {
      // /proc not mounted (a chroot, a minimal container): fall back.
    }
  }
  return variableListOf(process.env, true);
}
