/**
 * etag() holds an app's start: once the app heard `http.disconnect`, that send must reject with
 * ERR_CLIENT_DISCONNECTED, not resolve (spec/async.md ASYNC-HTTP-9). Found by
 * test/fuzz/stack.test.ts.
 */
import { isPorticoError } from '@portico/spec';
import { describe, expect, it } from 'vitest';
import { etag } from '../../src/files/index.js';
import { answerAfterLeaving } from '../helpers/client-gone.js';

describe('etag() and a client that left', () => {
  it('rejects a start sent after http.disconnect with ERR_CLIENT_DISCONNECTED', async () => {
    const { violations, sendError } = await answerAfterLeaving(etag());
    expect(violations).toEqual([]);
    expect(isPorticoError(sendError, 'ERR_CLIENT_DISCONNECTED')).toBe(true);
  });
});
