/**
 * Holding an app's `http.response.start` until its first following event, for the response-side
 * middleware that add a header only when the whole body comes in that one event (`etag()`,
 * `contentLength()`). One event is held, never a stream (MW-BODY-3).
 *
 * @module
 */

import {
  type Header,
  type HTTPResponseStartEvent,
  PorticoError,
  type Receive,
  type Send,
  type SendEvent,
} from '@portico/spec';

const EMPTY = new Uint8Array(0);

/** A `receive` that remembers whether it gave the app `http.disconnect`. */
export interface DisconnectWatch {
  /** The `receive` to give the app. */
  readonly receive: Receive;
  /** Whether `receive` resolved to `http.disconnect`: the client is gone. */
  readonly gone: boolean;
}

/** A class rather than an object literal with a getter: made once per request, on the hot path. */
class Watch implements DisconnectWatch {
  gone = false;
  readonly receive: Receive;

  constructor(inner: Receive) {
    this.receive = () =>
      inner().then((event) => {
        if (event.type === 'http.disconnect') this.gone = true;
        return event;
      });
  }
}

/** Wraps `receive` to remember an `http.disconnect` (see {@link clientGone}). */
export function watchDisconnect(receive: Receive): DisconnectWatch {
  return new Watch(receive);
}

/**
 * The error a `send` that does not reach the server (it holds the event) rejects with once the app
 * was told the client is gone: spec/async.md ASYNC-HTTP-9 ("once `receive()` resolved to
 * `http.disconnect` ... every later `send()` rejects" with `ERR_CLIENT_DISCONNECTED`).
 */
export function clientGone(): PorticoError {
  return new PorticoError('ERR_CLIENT_DISCONNECTED', 'the client went away before the response was sent');
}

/** A `send` that may hold a start, and how to let go of a start still held when the app returns. */
export interface StartHold {
  /** The `send` to give the app. */
  readonly send: Send;
  /** The `receive` to give the app (it tells the hold when the client is gone). */
  readonly receive: Receive;
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
 * other event pass straight through. Once the app's `receive` (the returned one) gave
 * `http.disconnect`, a start that would be held rejects with `ERR_CLIENT_DISCONNECTED` instead
 * (ASYNC-HTTP-9), and `flush` drops a held start.
 *
 * @param send - the server's (or outer middleware's) `send`
 * @param receive - the server's (or outer middleware's) `receive`
 * @param hold - whether to hold this start (false: it is sent at once, unchanged)
 * @param header - the header to add, from the whole body's bytes
 */
export function holdStartForWholeBody(
  send: Send,
  receive: Receive,
  hold: (start: HTTPResponseStartEvent) => boolean,
  header: (body: Uint8Array) => Header,
): StartHold {
  let held: HTTPResponseStartEvent | undefined;
  const watch = watchDisconnect(receive);
  async function holdingSend(event: SendEvent): Promise<void> {
    if (event.type === 'http.response.start') {
      if (!hold(event)) return send(event);
      if (watch.gone) throw clientGone();
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
    receive: watch.receive,
    async flush() {
      if (held === undefined) return;
      const start = held;
      held = undefined;
      if (!watch.gone) await send(start);
    },
  };
}
