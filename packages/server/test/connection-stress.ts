/**
 * Stress over raw connections, shared by the socket adapters' garbage and soak tests: bytes sent in
 * pieces cut at chosen offsets, and a soak that checks the process keeps no file descriptors or
 * memory.
 */
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { memoryLogger } from './memory-logger.js';

/** A raw connection as these helpers use it (each adapter's test `RawConnection`). */
export interface RawSocket {
  send(bytes: Uint8Array): void;
  close(): void;
  /** Resolves once the socket is closed (by either side). */
  readonly closed: Promise<void>;
}

/**
 * Sends `bytes` over `conn` in pieces cut at `cuts` (offsets; out-of-range ones and duplicates are
 * ignored, the rest sorted). With `yieldBetween`, waits a turn of the event loop (`setImmediate`)
 * after each piece but the last, so the server reads them apart.
 */
export async function sendInPieces(
  conn: Pick<RawSocket, 'send'>,
  bytes: Uint8Array,
  cuts: readonly number[],
  yieldBetween = false,
): Promise<void> {
  let at = 0;
  for (const cut of [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b)) {
    conn.send(bytes.subarray(at, cut));
    at = cut;
    if (yieldBetween) await new Promise((r) => setImmediate(r));
  }
  conn.send(bytes.subarray(at));
}

/**
 * Opens a connection with `open`, sends `bytes` cut at `cuts`, waits 5 ms, closes it; resolves with
 * the connection once its socket is closed (to read what came back).
 */
export async function throwAt<C extends RawSocket>(
  open: () => Promise<C>,
  bytes: Uint8Array,
  cuts: readonly number[],
): Promise<C> {
  const conn = await open();
  await sendInPieces(conn, bytes, cuts);
  await new Promise((r) => setTimeout(r, 5));
  conn.close();
  await conn.closed;
  return conn;
}

/**
 * Copies of `valid` with 1 to 6 bytes overwritten by any byte value, each with up to 4 offsets to
 * cut it at ({@link throwAt}'s `cuts`).
 */
export function mutatedWithCuts(valid: Uint8Array): fc.Arbitrary<[Buffer, number[]]> {
  const mutations = fc.array(
    fc.record({ at: fc.nat(valid.length - 1), value: fc.integer({ min: 0, max: 255 }) }),
    {
      minLength: 1,
      maxLength: 6,
    },
  );
  const mutated = mutations.map((list) => {
    const bytes = Buffer.from(valid);
    for (const { at, value } of list) bytes[at] = value;
    return bytes;
  });
  return fc.tuple(mutated, fc.array(fc.nat(valid.length), { maxLength: 4 }));
}

/** The number of file descriptors this process has open (Linux: /proc/self/fd). */
export const openFds = (): number => readdirSync('/proc/self/fd').length;

/**
 * Runs `warmUp` (JIT, pools), then `soak`, and asserts that the process holds at most 2 more file
 * descriptors after it, that the heap grew by less than 64 MiB (without `--expose-gc` the heap can
 * hold garbage; a leak of thousands of requests' scopes, bodies and sockets is far more), and that
 * the server reported no violation and logged no warning or error.
 */
export async function expectNoLeaks(
  running: { violations: string[]; logger: ReturnType<typeof memoryLogger> },
  warmUp: () => Promise<void>,
  soak: () => Promise<void>,
): Promise<void> {
  await warmUp();
  global.gc?.();
  const fdsBefore = openFds();
  const heapBefore = process.memoryUsage().heapUsed;
  await soak();
  await new Promise((r) => setTimeout(r, 100));
  global.gc?.();
  expect(openFds()).toBeLessThanOrEqual(fdsBefore + 2);
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 << 20);
  expect(running.violations).toEqual([]);
  expect(running.logger.records.filter((r) => r.level === 'error' || r.level === 'warn')).toEqual([]);
}
