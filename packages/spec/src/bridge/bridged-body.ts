/**
 * The body iterable `asyncToSync` returns for one call.
 *
 * @module
 */
import { PorticoError } from '../errors.js';
import { type Call, DONE, revive } from './async-to-sync-protocol.js';
import type { WorkerBridge } from './worker-bridge.js';

/** The body iterable of one bridged call: each `next()` blocks for the app's next body event. */
export class BridgedBody implements Iterator<Uint8Array>, Iterable<Uint8Array> {
  private done = false;

  constructor(
    private readonly bridge: WorkerBridge,
    private readonly call: Call,
  ) {}

  [Symbol.iterator](): Iterator<Uint8Array> {
    return this;
  }

  next(): IteratorResult<Uint8Array> {
    while (!this.done) {
      const message = this.bridge.next(this.call, 'http.response.body');
      if (message.t === 'body') {
        if (!message.more) {
          this.done = true;
          this.bridge.forget(this.call);
          if (message.body.byteLength === 0) break;
        } else this.bridge.ack(this.call);
        if (message.body.byteLength > 0) return { done: false, value: message.body };
        continue;
      }
      this.done = true;
      this.bridge.forget(this.call);
      if (message.t === 'error') throw revive(message.error);
      throw new PorticoError(
        'ERR_SPEC_VIOLATION',
        'the async app returned before finishing the response body',
        {
          side: 'app',
        },
      );
    }
    return DONE;
  }

  return(): IteratorResult<Uint8Array> {
    this.close();
    return DONE;
  }

  /** Ends the call; when the body was not complete, the app sees `http.disconnect`. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.bridge.abandon(this.call);
  }
}
