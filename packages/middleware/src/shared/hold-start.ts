/**
 * Holding an app's `http.response.start` until its first following event, for the response-side
 * middleware that add a header only when the whole body comes in that one event (`etag()`,
 * `contentLength()`). One event is held, never a stream (MW-BODY-3).
 *
 * @module
 */

import type { Header, HTTPResponseStartEvent, Send, SendEvent } from '@portico/spec';

const EMPTY = new Uint8Array(0);

/** A `send` that may hold a start, and how to let go of a start still held when the app returns. */
export interface StartHold {
  /** The `send` to give the app. */
  readonly send: Send;
  /**
   * Sends the start still held, if any: an app that returned after its start without a body event
   * (the server then sees what the app sent and can judge it).
   */
  flush(): Promise<void>;
}

/**
 * Wraps `send` so that an `http.response.start` for which `hold(start)` is true is kept until the
 * next event. When that event is an `http.response.body` ending the body (`moreBody` not true), the
 * start goes out with `header(body)` appended; otherwise (a stream, a path send, any other event) it
 * goes out unchanged. Either way the event itself follows, untouched. Starts not held and every
 * other event pass straight through.
 *
 * @param send - the server's (or outer middleware's) `send`
 * @param hold - whether to hold this start (false: it is sent at once, unchanged)
 * @param header - the header to add, from the whole body's bytes
 */
export function holdStartForWholeBody(
  send: Send,
  hold: (start: HTTPResponseStartEvent) => boolean,
  header: (body: Uint8Array) => Header,
): StartHold {
  let held: HTTPResponseStartEvent | undefined;
  async function holdingSend(event: SendEvent): Promise<void> {
    if (event.type === 'http.response.start') {
      if (!hold(event)) return send(event);
      held = event;
      return;
    }
    if (held === undefined) return send(event);
    const start = held;
    held = undefined;
    if (event.type === 'http.response.body' && event.moreBody !== true) {
      await send({ ...start, headers: [...(start.headers ?? []), header(event.body ?? EMPTY)] });
    } else {
      await send(start);
    }
    return send(event);
  }
  return {
    send: holdingSend,
    async flush() {
      if (held === undefined) return;
      const start = held;
      held = undefined;
      await send(start);
    },
  };
}
