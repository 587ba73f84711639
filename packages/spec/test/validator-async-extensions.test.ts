import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  END,
  httpScope,
  httpRuleOf as ruleOf,
  run,
  START,
  sender,
  validate,
} from './helpers/communicator.js';

const THIS_FILE = fileURLToPath(import.meta.url);

describe('extensions (EXT-TRAILERS, EXT-HINTS, EXT-PATHSEND)', () => {
  const trailersOffered = httpScope({ extensions: { 'http.response.trailers': {} } });
  const TRAILERS = { type: 'http.response.trailers', headers: [['grpc-status', '0']] };

  it('a response with trailers passes when offered', async () => {
    const app = sender({ ...START, trailers: true }, END, { ...TRAILERS, moreTrailers: true }, TRAILERS);
    await expect(run(validate(app), trailersOffered)).resolves.toHaveLength(4);
  });

  it('EXT-TRAILERS-1: trailers only when the server offers them', async () => {
    expect(await ruleOf(sender({ ...START, trailers: true }))).toBe('EXT-TRAILERS-1');
    expect(await ruleOf(sender(START, END, TRAILERS))).toBe('EXT-TRAILERS-1');
  });

  it('EXT-TRAILERS-2: trailers only after the final body of a response that announced them', async () => {
    expect(await ruleOf(sender(START, END, TRAILERS), trailersOffered)).toBe('EXT-TRAILERS-2');
    expect(await ruleOf(sender({ ...START, trailers: true }, TRAILERS), trailersOffered)).toBe(
      'EXT-TRAILERS-2',
    );
  });

  it('EXT-TRAILERS-3: moreTrailers is a boolean', async () => {
    const app = sender({ ...START, trailers: true }, END, { ...TRAILERS, moreTrailers: 'no' });
    expect(await ruleOf(app, trailersOffered)).toBe('EXT-TRAILERS-3');
  });

  it('announced trailers must be sent (ASYNC-HTTP-12) and nothing follows the last (ASYNC-HTTP-8)', async () => {
    expect(await ruleOf(sender({ ...START, trailers: true }, END), trailersOffered)).toBe('ASYNC-HTTP-12');
    expect(await ruleOf(sender({ ...START, trailers: true }, END, TRAILERS, TRAILERS), trailersOffered)).toBe(
      'ASYNC-HTTP-8',
    );
  });

  const hintsOffered = httpScope({ extensions: { 'http.response.early_hints': {} } });
  const HINTS = {
    type: 'http.response.early_hints',
    headers: [['link', '</style.css>; rel=preload; as=style']],
  };

  it('early hints before start pass when offered', async () => {
    await expect(run(validate(sender(HINTS, HINTS, START, END)), hintsOffered)).resolves.toHaveLength(4);
  });

  it('EXT-HINTS-1: early hints only when offered', async () => {
    expect(await ruleOf(sender(HINTS))).toBe('EXT-HINTS-1');
  });

  it('EXT-HINTS-2: early hints only before http.response.start', async () => {
    expect(await ruleOf(sender(START, HINTS), hintsOffered)).toBe('EXT-HINTS-2');
  });

  it('early hints headers are checked like any header list', async () => {
    expect(await ruleOf(sender({ ...HINTS, headers: [['link', 'a\r\nb']] }), hintsOffered)).toBe(
      'ASYNC-HDR-4',
    );
  });

  const pathsendOffered = httpScope({ extensions: { 'http.response.pathsend': {} } });
  const PATHSEND = { type: 'http.response.pathsend', path: THIS_FILE };

  it('path send of a regular file after start passes when offered', async () => {
    await expect(run(validate(sender(START, PATHSEND)), pathsendOffered)).resolves.toHaveLength(2);
  });

  it('EXT-PATHSEND-1: path send only when offered', async () => {
    expect(await ruleOf(sender(START, PATHSEND))).toBe('EXT-PATHSEND-1');
  });

  it('EXT-PATHSEND-2: path send follows start, instead of body events', async () => {
    expect(await ruleOf(sender(PATHSEND), pathsendOffered)).toBe('EXT-PATHSEND-2');
    expect(await ruleOf(sender(START, { ...END, moreBody: true }, PATHSEND), pathsendOffered)).toBe(
      'EXT-PATHSEND-2',
    );
    expect(await ruleOf(sender(START, PATHSEND, END), pathsendOffered)).toBe('ASYNC-HTTP-8');
  });

  it('EXT-PATHSEND-3: path is absolute and names a regular file', async () => {
    for (const path of [
      'relative/file.txt',
      fileURLToPath(new URL('.', import.meta.url)),
      '/no/such/file',
      42,
    ]) {
      expect(await ruleOf(sender(START, { ...PATHSEND, path }), pathsendOffered)).toBe('EXT-PATHSEND-3');
    }
  });
});
