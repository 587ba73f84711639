/**
 * Streaming part of an open file as `http.response.body` events, with backpressure.
 *
 * @module
 */

import type { FileHandle } from 'node:fs/promises';
import { isPorticoError, type Send } from '@portico/spec';

/**
 * Sends bytes `start`..`end` (inclusive) of `handle` as `http.response.body` events of at most
 * `chunkSize` bytes, awaiting each `send` (the server's backpressure), the last with `moreBody:
 * false`. Each chunk is a fresh buffer (the receiver may keep it). An empty range sends one empty
 * final event. Memory held: one chunk.
 *
 * A client that leaves (`send` rejects with `ERR_CLIENT_DISCONNECTED`) ends the loop quietly.
 * Does not close `handle`.
 *
 * @param start - offset of the first byte
 * @param end - offset of the last byte, inclusive (`start - 1` for nothing)
 * @param chunkSize - most bytes per event
 * @throws Error when the file ends before `end` (it shrank since its `fstat`): the response cannot
 *   be completed, so the server aborts it
 */
export async function streamFileRange(
  send: Send,
  handle: FileHandle,
  start: number,
  end: number,
  chunkSize: number,
): Promise<void> {
  let position = start;
  let remaining = end - start + 1;
  try {
    if (remaining <= 0) {
      await send({ type: 'http.response.body', body: new Uint8Array(0) });
      return;
    }
    while (remaining > 0) {
      const buffer = new Uint8Array(Math.min(chunkSize, remaining));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0)
        throw new Error(`file ended ${remaining} bytes early (it shrank while being sent)`);
      position += bytesRead;
      remaining -= bytesRead;
      await send({
        type: 'http.response.body',
        body: bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead),
        moreBody: remaining > 0,
      });
    }
  } catch (error) {
    if (isPorticoError(error) && error.code === 'ERR_CLIENT_DISCONNECTED') return;
    throw error;
  }
}
