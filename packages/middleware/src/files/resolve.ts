/**
 * Mapping a decoded request path to a file under a root directory, refusing everything that could
 * leave it: `.`/`..` segments, NUL, backslashes, and symbolic links that resolve outside the root.
 *
 * @module
 */

import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** What to do with dotfiles (a path segment starting with `.`): see `StaticFilesOptions.dotfiles`. */
export type DotfilesPolicy = 'ignore' | 'deny' | 'allow';

/** The outcome of {@link lookupFile}. */
export type Lookup =
  | {
      readonly kind: 'file';
      /** The opened file (the caller closes it). */
      readonly handle: FileHandle;
      /** Its real, absolute path (symbolic links resolved). */
      readonly path: string;
      /** `fstat` of the opened descriptor: the size and mtime the response uses. */
      readonly stat: Stats;
    }
  /** A directory holding an index file, asked for without the trailing `/`. */
  | { readonly kind: 'redirect' }
  /** A dotfile under `dotfiles: 'deny'`. */
  | { readonly kind: 'forbidden' }
  /** Nothing to serve (absent, refused, outside the root, not a regular file). */
  | { readonly kind: 'miss' };

const MISS: Lookup = { kind: 'miss' };
// O_NOFOLLOW narrows the window between realpath() and open(): a last component swapped for a
// symbolic link meanwhile fails to open instead of being followed.
const FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/** The path's segments, or `'miss'` / `'forbidden'` when it must not reach the file system. */
export function pathSegments(path: string, dotfiles: DotfilesPolicy): string[] | 'miss' | 'forbidden' {
  if (path.includes('\0') || path.includes('\\')) return 'miss';
  if (path !== '' && !path.startsWith('/')) return 'miss';
  const segments = path.split('/').filter((s) => s !== '');
  let forbidden = false;
  for (const s of segments) {
    if (s === '.' || s === '..') return 'miss';
    if (s.startsWith('.')) {
      if (dotfiles === 'ignore') return 'miss';
      if (dotfiles === 'deny') forbidden = true;
    }
  }
  return forbidden ? 'forbidden' : segments;
}

function inside(real: string, root: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
}

async function openInside(candidate: string, root: string): Promise<Lookup> {
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return MISS;
  }
  if (!inside(real, root)) return MISS;
  let handle: FileHandle;
  try {
    handle = await open(real, FLAGS);
  } catch {
    return MISS;
  }
  try {
    const stat = await handle.stat();
    return { kind: 'file', handle, path: real, stat };
  } catch {
    await handle.close().catch(() => {});
    return MISS;
  }
}

/**
 * Finds the file for the decoded `path` under `root` (an absolute real path): a regular file, or
 * for a directory the first of `index` that is a regular file. A directory asked for without its
 * trailing `/` gives `redirect` when it has an index. Every failure of the file system (ENOENT,
 * EACCES, ENOTDIR, ELOOP...) is a `miss`: nothing tells an absent file from a refused one.
 */
export async function lookupFile(
  root: string,
  path: string,
  index: readonly string[],
  dotfiles: DotfilesPolicy,
): Promise<Lookup> {
  const segments = pathSegments(path, dotfiles);
  if (segments === 'miss') return MISS;
  if (segments === 'forbidden') return { kind: 'forbidden' };
  const found = await openInside(join(root, ...segments), root);
  if (found.kind !== 'file') return found;
  if (found.stat.isFile()) {
    if (path.endsWith('/')) {
      await found.handle.close();
      return MISS;
    }
    return found;
  }
  await found.handle.close();
  if (!found.stat.isDirectory()) return MISS;
  for (const name of index) {
    const file = await openInside(join(found.path, name), root);
    if (file.kind !== 'file') continue;
    if (file.stat.isFile()) {
      if (path.endsWith('/')) return file;
      await file.handle.close();
      return { kind: 'redirect' };
    }
    await file.handle.close();
  }
  return MISS;
}
