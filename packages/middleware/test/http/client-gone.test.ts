/**
 * contentLength() and compression() hold an app's start: once the app heard `http.disconnect`, that
 * send must reject with ERR_CLIENT_DISCONNECTED, not resolve (spec/async.md ASYNC-HTTP-9). Found by
 * test/fuzz/stack.test.ts (a POST whose client left while csrf() read its body, then answered 403).
 */
import { isPorticoError } from '@portico/spec';
import { describe, expect, it } from 'vitest';
import { compression, contentLength } from '../../src/http/index.js';
import { answerAfterLeaving } from '../helpers/client-gone.js';

describe('a held start after the client left', () => {
  for (const [label, middleware] of [
    ['contentLength()', contentLength()],
    ['compression()', compression({ threshold: 0 })],
  ] as const) {
    it(`${label} rejects it with ERR_CLIENT_DISCONNECTED`, async () => {
      const { violations, sendError } = await answerAfterLeaving(middleware);
      expect(violations).toEqual([]);
      expect(isPorticoError(sendError, 'ERR_CLIENT_DISCONNECTED')).toBe(true);
    });
  }
});
