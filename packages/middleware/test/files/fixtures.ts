/** A temporary document root for the files tests, and the apps they wrap. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AsyncApp, asyncApp, type SyncApp, syncApp } from '@portico/spec';
import { sendWhole } from '../helpers/respond.js';

const enc = new TextEncoder();

/** A fixed mtime for the fixtures: 2024-01-02T03:04:05Z, in seconds. */
export const MTIME = 1704164645;

/** Bytes 0..255 repeated, `n` bytes long: every offset is recognisable. */
export function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >> 8)) & 0xff;
  return out;
}

export interface Fixture {
  /** The document root. */
  readonly root: string;
  /** A directory beside the root, with a secret file the symlink points to. */
  readonly outside: string;
  readonly secret: string;
  readonly text: string;
  readonly binary: Uint8Array;
  readonly big: Uint8Array;
  cleanup(): void;
}

/**
 * Makes `base/root` with: hello.txt, data.bin (1000 bytes), big.bin (5 MiB), docs/index.html,
 * docs/guide/page.html, empty.txt, .env, link-out -> ../outside/secret.txt, link-in -> hello.txt,
 * noindex/ (a directory without index), style.css, and `base/outside/secret.txt`.
 */
export function makeFixture(): Fixture {
  const base = mkdtempSync(join(tmpdir(), 'portico-files-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'docs', 'guide'), { recursive: true });
  mkdirSync(join(root, 'noindex'));
  mkdirSync(outside);
  const secret = 'TOP-SECRET-OUTSIDE-ROOT';
  writeFileSync(join(outside, 'secret.txt'), secret);
  const text = 'Hello, files! ünïcode\n';
  const binary = pattern(1000);
  const big = pattern(5 * 1024 * 1024);
  writeFileSync(join(root, 'hello.txt'), text);
  writeFileSync(join(root, 'data.bin'), binary);
  writeFileSync(join(root, 'big.bin'), big);
  writeFileSync(join(root, 'empty.txt'), '');
  writeFileSync(join(root, 'style.css'), 'body{}');
  writeFileSync(join(root, 'docs', 'index.html'), '<h1>docs</h1>');
  writeFileSync(join(root, 'docs', 'guide', 'page.html'), '<p>page</p>');
  writeFileSync(join(root, 'noindex', 'a.txt'), 'a');
  writeFileSync(join(root, '.env'), 'PASSWORD=hunter2');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link-out'));
  symlinkSync(outside, join(root, 'dir-out'));
  symlinkSync('hello.txt', join(root, 'link-in'));
  for (const f of ['hello.txt', 'data.bin', 'big.bin', 'empty.txt', 'style.css', 'docs/index.html']) {
    utimesSync(join(root, f), MTIME, MTIME);
  }
  return {
    root,
    outside,
    secret,
    text,
    binary,
    big,
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}

/** The async app behind the files middleware: answers `fallback <method> <path>`. */
export const fallbackAsync: AsyncApp = asyncApp(async function fallbackAsyncApp(scope, receive, send) {
  if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
  await receive();
  await sendWhole(send, 404, `fallback ${scope.method} ${scope.path}`, 'text/plain');
});

/** The same in the sync interface. */
export const fallbackSync: SyncApp = syncApp(function fallbackSyncApp(environ, startResponse) {
  const body = enc.encode(`fallback ${environ.REQUEST_METHOD} ${environ.PATH_INFO}`);
  startResponse('404 Not Found', [
    ['Content-Type', 'text/plain'],
    ['Content-Length', String(body.length)],
  ]);
  return [body];
});

/** Whether `needle` occurs in `haystack`. */
export function containsBytes(haystack: Uint8Array, needle: string): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}
