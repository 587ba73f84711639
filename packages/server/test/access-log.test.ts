import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccessLogEntry, escapeLogItem, formatCombinedLog, formatLogTime } from '../src/access-log.js';

const entry: AccessLogEntry = {
  client: '127.0.0.1',
  method: 'GET',
  target: '/apache_pb.gif?x=1',
  httpVersion: '1.0',
  status: 200,
  bytes: 2326,
  referer: 'http://www.example.com/start.html',
  userAgent: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
  time: new Date(Date.UTC(2000, 9, 10, 20, 55, 36)),
  durationMs: 3,
};

describe('formatCombinedLog', () => {
  const saved = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'America/Los_Angeles';
  });
  afterAll(() => {
    process.env.TZ = saved;
  });

  it("matches Apache's example line for the combined format", () => {
    // httpd docs, "Log Files", Combined Log Format (local time, -0700 in October 2000).
    expect(formatCombinedLog(entry)).toBe(
      '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 ' +
        '"http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"',
    );
  });

  it('prints - for an unknown client, an empty body and absent headers', () => {
    const line = formatCombinedLog({ ...entry, client: null, bytes: 0, referer: null, userAgent: null });
    expect(line).toMatch(/^- - - \[.*\] "GET \/apache_pb\.gif\?x=1 HTTP\/1\.0" 200 - "-" "-"$/);
  });

  it('formats time zones east of UTC with a plus sign', () => {
    process.env.TZ = 'Asia/Kolkata';
    try {
      expect(formatLogTime(new Date(Date.UTC(2020, 0, 2, 3, 4, 5)))).toBe('[02/Jan/2020:08:34:05 +0530]');
    } finally {
      process.env.TZ = 'America/Los_Angeles';
    }
  });

  it('escapes what could forge a log line: quotes, backslashes, control and non-ASCII bytes', () => {
    const line = formatCombinedLog({
      ...entry,
      target: '/a"b\\c\x01\xe9',
      userAgent: 'x"\n127.0.0.1 - - [fake]',
    });
    expect(line).toContain('"GET /a\\"b\\\\c\\x01\\xe9 HTTP/1.0"');
    expect(line).toContain('"x\\"\\n127.0.0.1 - - [fake]"');
    expect(line).not.toContain('\n');
  });
});

describe('escapeLogItem', () => {
  it('always yields printable ASCII in which every " is escaped (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = escapeLogItem(s);
        expect(out).toMatch(/^[\x20-\x7e]*$/);
        // every quote is preceded by an odd number of backslashes
        for (let i = out.indexOf('"'); i >= 0; i = out.indexOf('"', i + 1)) {
          let n = 0;
          while (out[i - 1 - n] === '\\') n++;
          expect(n % 2).toBe(1);
        }
      }),
    );
  });

  it('leaves plain printable ASCII unchanged (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/), (s) => {
        expect(escapeLogItem(s)).toBe(s);
      }),
    );
  });
});
