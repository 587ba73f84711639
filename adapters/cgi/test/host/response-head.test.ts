/**
 * The CGI response head parser on its own (RFC 3875 section 6; spec/servers.md SRV-CGI-8): bytes in
 * any chunking, the three kinds of response, and every head the host must answer 502.
 */
import { isPorticoError } from '@portico/spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rule } from '../../../../packages/server/test/rule.js';
import { type CGIHead, CGIHeadParser, parseHead } from '../../src/host/response-head.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

/** Feeds `chunks` to a fresh parser; the head, the body bytes after it, or the error code. */
function parse(chunks: readonly Uint8Array[], max = 16384): { head: CGIHead; rest: string } | string {
  const parser = new CGIHeadParser(max);
  try {
    for (let i = 0; i < chunks.length; i++) {
      const r = parser.push(chunks[i]!);
      if (r !== null) {
        const tail = Buffer.concat([r.rest, ...chunks.slice(i + 1)]);
        return { head: r.head, rest: tail.toString('latin1') };
      }
    }
    return parser.end();
  } catch (err) {
    if (isPorticoError(err, 'ERR_CGI_BAD_RESPONSE')) return `502: ${err.message}`;
    throw err;
  }
}

/** Splits `data` at the given cut points. */
function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    out.push(data.subarray(at, p));
    at = p;
  }
  out.push(data.subarray(at));
  return out;
}

describe('document responses', () => {
  it('takes Status, keeps the other fields in order and in their case, and returns the body after the blank line', () => {
    const r = parse([
      bytes('Status: 404 Not Here\r\nContent-Type: text/plain\r\nX-A: 1\r\nx-a: 2\r\n\r\nbody\nmore'),
    ]);
    expect(r).toEqual({
      head: {
        kind: 'document',
        status: 404,
        headers: [
          ['Content-Type', 'text/plain'],
          ['X-A', '1'],
          ['x-a', '2'],
        ],
        contentLength: -1,
      },
      rest: 'body\nmore',
    });
  });

  it('accepts LF line ends, a Status without reason phrase, an empty value, and trims the value', () => {
    const r = parse([bytes('Status: 201\nContent-Type:   text/html  \nX-Empty:\n\n')]);
    expect(r).toEqual({
      head: {
        kind: 'document',
        status: 201,
        headers: [
          ['Content-Type', 'text/html'],
          ['X-Empty', ''],
        ],
        contentLength: -1,
      },
      rest: '',
    });
  });

  it('defaults to 200 and reads Content-Length', () => {
    const r = parse([bytes('Content-Type: a/b\nContent-Length: 12\n\n')]);
    expect(typeof r === 'object' && r.head).toEqual({
      kind: 'document',
      status: 200,
      headers: [
        ['Content-Type', 'a/b'],
        ['Content-Length', '12'],
      ],
      contentLength: 12,
    });
  });

  it('keeps header values as bytes (Latin-1 characters)', () => {
    const r = parse([Buffer.from([...bytes('Content-Type: t\nX-B: caf'), 0xe9, 0x0a, 0x0a])]);
    expect(typeof r === 'object' && r.head.kind === 'document' && r.head.headers[1]).toEqual([
      'X-B',
      'caf\u00e9',
    ]);
  });
});

describe('redirects (RFC 3875 section 6.2)', () => {
  it('a Location with a path and no Status is a local redirect', () => {
    expect(parse([bytes('Location: /cgi-bin/x.sh?a=1\n\n')])).toEqual({
      head: { kind: 'local-redirect', location: '/cgi-bin/x.sh?a=1' },
      rest: '',
    });
  });

  it('a Location with an absolute URI, or a network path, and no Status is a 302 client redirect', () => {
    for (const location of ['http://example.com/x', '//example.com/x']) {
      const r = parse([bytes(`Location: ${location}\n\n`)]);
      expect(typeof r === 'object' && r.head).toEqual({
        kind: 'document',
        status: 302,
        headers: [['Location', location]],
        contentLength: -1,
      });
    }
  });

  it('a Location with a Status is a document response with that status', () => {
    const r = parse([bytes('Status: 301 Moved\nLocation: /x\nContent-Type: text/plain\n\nmoved')]);
    expect(typeof r === 'object' && r.head.kind === 'document' && r.head.status).toBe(301);
  });
});

describe('bad heads are refused', () => {
  const cases: [string, string][] = [
    ['status with letters', 'Status: abc\nContent-Type: t\n\n'],
    ['status with two digits', 'Status: 20\nContent-Type: t\n\n'],
    ['status with four digits', 'Status: 2000 OK\nContent-Type: t\n\n'],
    ['status glued to its reason', 'Status: 200OK\nContent-Type: t\n\n'],
    ['status 1xx', 'Status: 100 Continue\nContent-Type: t\n\n'],
    ['status over 599', 'Status: 600 Six\nContent-Type: t\n\n'],
    ['status twice', 'Status: 200 OK\nStatus: 200 OK\nContent-Type: t\n\n'],
    ['location twice', 'Location: /a\nLocation: /b\n\n'],
    ['content-type twice', 'Content-Type: a\nContent-Type: b\n\n'],
    ['no CGI field', 'X-Only: 1\n\n'],
    ['an empty head', '\n'],
    ['a line without colon', 'this is not a header\n\n'],
    ['a name with a space', 'Content Type: t\n\n'],
    ['a space before the colon', 'Content-Type : t\n\n'],
    ['a folded line', 'Content-Type: t\n folded\n\n'],
    ['a CR inside a value', 'Content-Type: t\rX: y\n\n'],
    ['a NUL inside a value', 'Content-Type: t\u0000\n\n'],
    ['a bad Content-Length', 'Content-Type: t\nContent-Length: 1,1\n\n'],
    ['Content-Length twice', 'Content-Type: t\nContent-Length: 1\nContent-Length: 1\n\n'],
    ['Transfer-Encoding', 'Content-Type: t\nTransfer-Encoding: chunked\n\n'],
  ];
  for (const [what, head] of cases) {
    rule('SRV-CGI-8', `502 for ${what}`, () => {
      expect(parse([bytes(head)])).toMatch(/^502: /);
    });
  }

  rule('SRV-CGI-8', '502 for output that ends without a head, or before the blank line', () => {
    expect(parse([])).toBe('502: program ended without output');
    expect(parse([bytes('Content-Type: t\n')])).toBe('502: response head did not end');
    expect(parse([bytes('Content-Type: t')])).toBe('502: response head did not end');
  });

  rule('SRV-CGI-8', '502 for a head over maxHeaderSize, even when it never ends', () => {
    const line = bytes('X-Junk: more and more\n');
    const parser = new CGIHeadParser(1000);
    let error: unknown;
    let fed = 0;
    try {
      for (;;) {
        parser.push(line);
        fed += line.length;
      }
    } catch (err) {
      error = err;
    }
    expect(isPorticoError(error, 'ERR_CGI_BAD_RESPONSE')).toBe(true);
    expect(fed).toBeLessThanOrEqual(1000);
    // A head of exactly the limit is fine.
    const exact = `Content-Type: t\nX: ${'a'.repeat(1000 - 'Content-Type: t\nX: \n\n'.length)}\n\n`;
    expect(exact.length).toBe(1000);
    expect(parse([bytes(exact)], 1000)).toMatchObject({ head: { kind: 'document', status: 200 } });
    expect(parse([bytes(exact.replace('X: a', 'X: aa'))], 1000)).toMatch(/^502: response head over 1000/);
  });
});

describe('chunking does not matter', () => {
  it('any split of a head and body gives the same head and body', () => {
    const wire = bytes(
      'Status: 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\nX: y\r\n\r\nthe body\r\n\r\nmore',
    );
    const whole = parse([wire]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        expect(parse(split(wire, cuts))).toEqual(whole);
      }),
    );
  });

  it('parseHead and the incremental parser agree on the lines', () => {
    expect(parseHead(['Content-Type: t', 'X: 1'])).toEqual({
      kind: 'document',
      status: 200,
      headers: [
        ['Content-Type', 't'],
        ['X', '1'],
      ],
      contentLength: -1,
    });
  });
});
