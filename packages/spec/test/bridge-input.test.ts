import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FileInput } from '../src/bridge/file-input.js';
import { type BaseInput, MemoryInput } from '../src/bridge/input.js';
import { isPorticoError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'portico-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** A FileInput over `body` written to a fresh file (removed by close()). */
function fileInput(body: Uint8Array): FileInput {
  const path = join(dir, `body-${counter++}`);
  writeFileSync(path, body);
  return new FileInput(openSync(path, 'r'), body.byteLength, path);
}

const kinds: Array<[string, (body: Uint8Array) => BaseInput]> = [
  ['memory', (body) => new MemoryInput(body)],
  ['file', fileInput],
];

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

// Bodies rich in newlines, so readline has lines to find.
const bodyArb = (maxLength: number) =>
  fc.oneof(
    fc.uint8Array({ maxLength }),
    fc.array(fc.constantFrom(0x0a, 0x61, 0x62, 0x0d), { maxLength }).map((a) => Uint8Array.from(a)),
  );

describe.each(kinds)('%s input', (_kind, make) => {
  it('reassembles the exact body under any sequence of read sizes', () => {
    fc.assert(
      fc.property(
        bodyArb(3000),
        fc.array(fc.oneof(fc.nat(400), fc.constant(-1), fc.constant(undefined))),
        (body, sizes) => {
          const input = make(body);
          try {
            const parts: Uint8Array[] = [];
            let remaining = body.byteLength;
            for (const size of sizes) {
              const got = input.read(size);
              const expected = size === undefined || size < 0 ? remaining : Math.min(size, remaining);
              expect(got.byteLength).toBe(expected);
              remaining -= got.byteLength;
              parts.push(got);
            }
            parts.push(input.read());
            expect(concat(parts)).toEqual(body);
            expect(input.read(10).byteLength).toBe(0); // EOF stays EOF
          } finally {
            input.close();
          }
        },
      ),
    );
  });

  it('readline splits after each newline, honours the limit, and reassembles the body', () => {
    fc.assert(
      fc.property(
        bodyArb(3000),
        fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
        (body, limit) => {
          const input = make(body);
          try {
            const lines: Uint8Array[] = [];
            for (let line = input.readline(limit); line.byteLength > 0; line = input.readline(limit)) {
              if (limit !== undefined) expect(line.byteLength).toBeLessThanOrEqual(limit);
              const nl = line.indexOf(0x0a);
              expect(nl === -1 || nl === line.byteLength - 1).toBe(true);
              lines.push(line);
            }
            expect(concat(lines)).toEqual(body);
            if (limit === undefined) {
              // Every line but the last ends with \n.
              for (const line of lines.slice(0, -1)) expect(line[line.byteLength - 1]).toBe(0x0a);
            }
          } finally {
            input.close();
          }
        },
      ),
    );
  });

  it('reassembles the body under any mix of read, readline and readlines', () => {
    const op = fc.oneof(
      fc.record({ m: fc.constant('read' as const), n: fc.oneof(fc.nat(300), fc.constant(undefined)) }),
      fc.record({ m: fc.constant('readline' as const), n: fc.oneof(fc.nat(300), fc.constant(undefined)) }),
      fc.record({ m: fc.constant('readlines' as const), n: fc.oneof(fc.integer({ min: 1, max: 300 })) }),
    );
    fc.assert(
      fc.property(bodyArb(4000), fc.array(op, { maxLength: 30 }), (body, ops) => {
        const input = make(body);
        try {
          const parts: Uint8Array[] = [];
          for (const { m, n } of ops) {
            if (m === 'readlines') parts.push(...input.readlines(n));
            else parts.push(input[m](n));
          }
          parts.push(input.read());
          expect(concat(parts)).toEqual(body);
        } finally {
          input.close();
        }
      }),
    );
  });

  it('iterates over the lines that readlines returns', () => {
    fc.assert(
      fc.property(bodyArb(2000), (body) => {
        const a = make(body);
        const b = make(body);
        try {
          expect([...a]).toEqual(b.readlines());
        } finally {
          a.close();
          b.close();
        }
      }),
    );
  });

  it('readlines(hint) stops once about hint bytes were read', () => {
    const input = make(new TextEncoder().encode('aaaa\nbbbb\ncccc\ndddd\n'));
    try {
      expect(input.readlines(6).map((l) => new TextDecoder().decode(l))).toEqual(['aaaa\n', 'bbbb\n']);
      expect(input.readlines().length).toBe(2);
    } finally {
      input.close();
    }
  });

  it('refuses a size that is not a number', () => {
    const input = make(new Uint8Array(4));
    try {
      for (const bad of ['3', Number.NaN, {}]) {
        let caught: unknown;
        try {
          input.read(bad as number);
        } catch (err) {
          caught = err;
        }
        expect(isPorticoError(caught, 'ERR_INVALID_OPTION')).toBe(true);
      }
      expect(input.read(2.7).byteLength).toBe(2); // floored
    } finally {
      input.close();
    }
  });
});

describe('file input', () => {
  it('finds lines that cross its 64 KiB read-ahead blocks', () => {
    const line = `${'x'.repeat(999)}\n`;
    const body = new TextEncoder().encode(line.repeat(200)); // 200000 bytes, 3+ blocks
    const input = fileInput(body);
    try {
      let n = 0;
      for (const got of input) {
        expect(got.byteLength).toBe(1000);
        n++;
      }
      expect(n).toBe(200);
    } finally {
      input.close();
    }
  });

  it('reassembles large bodies under arbitrary read sizes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 60_000, max: 200_000 }),
        fc.array(fc.oneof(fc.nat(70_000), fc.constant(-1)), { maxLength: 8 }),
        fc.array(fc.nat(200), { maxLength: 8 }),
        (length, sizes, lineLimits) => {
          const body = new Uint8Array(length);
          for (let i = 0; i < length; i++) body[i] = i % 997 === 0 ? 0x0a : i & 0xff;
          const input = fileInput(body);
          try {
            const parts: Uint8Array[] = [];
            for (let i = 0; i < Math.max(sizes.length, lineLimits.length); i++) {
              if (i < lineLimits.length) parts.push(input.readline(lineLimits[i]));
              if (i < sizes.length) parts.push(input.read(sizes[i]));
            }
            parts.push(input.read());
            expect(Buffer.from(concat(parts)).equals(body)).toBe(true);
          } finally {
            input.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('close() closes the descriptor, removes the file, and later reads return EOF', () => {
    const path = join(dir, 'closing');
    writeFileSync(path, 'abc\ndef\n');
    const fd = openSync(path, 'r');
    const input = new FileInput(fd, 8, path);
    expect(new TextDecoder().decode(input.readline())).toBe('abc\n');
    input.close();
    expect(readdirSync(dir)).not.toContain('closing');
    expect(() => closeSync(fd)).toThrow(/EBADF/);
    expect(input.read().byteLength).toBe(0);
    expect(input.readline().byteLength).toBe(0);
    input.close(); // idempotent
  });

  it('ends the body early when the file is shorter than announced', () => {
    const path = join(dir, 'short');
    writeFileSync(path, 'abc');
    const input = new FileInput(openSync(path, 'r'), 10, path);
    expect(new TextDecoder().decode(input.read(8))).toBe('abc');
    expect(input.read().byteLength).toBe(0);
    input.close();
  });
});
