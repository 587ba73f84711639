/**
 * The request body on its way to a program's standard input, with backpressure both ways: the next
 * `receive()` waits until the program took the last piece (its input pipe drained), so a program
 * that reads slowly holds the client back instead of the host buffering the body (spec/servers.md
 * SRV-FLOW-2 end to end). Once the body ended, the same loop waits for `http.disconnect`, which is how
 * the host learns that the client left while a program still runs.
 *
 * @module
 */
import type { Writable } from 'node:stream';
import type { Receive } from '@portico/spec';

function writable(sink: Writable): boolean {
  return !sink.destroyed && !sink.writableEnded;
}

function end(sink: Writable | null): void {
  if (sink !== null && writable(sink)) sink.end();
}

/** Resolves on `drain`, or when the sink can take nothing more (closed, failed). */
function drained(sink: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sink.off('drain', done);
      sink.off('close', done);
      sink.off('error', done);
      resolve();
    };
    sink.on('drain', done);
    sink.on('close', done);
    sink.on('error', done);
  });
}

/** One request's body, pumped from `receive()` into the attached program's input. */
export class RequestBody {
  readonly #receive: Receive;
  #sink: Writable | null = null;
  #started = false;
  #ended = false;
  #gone = false;
  #onGone: (() => void) | null = null;

  constructor(receive: Receive) {
    this.#receive = receive;
  }

  /** Whether the client left (`receive()` gave `http.disconnect`). */
  get gone(): boolean {
    return this.#gone;
  }

  /**
   * Sends what is left of the body to `sink` (a program's standard input), which is ended when the
   * body ends; `null` throws the rest away (a program that does not get the body). Starts the pump
   * on first use.
   */
  attach(sink: Writable | null): void {
    this.#sink = sink;
    if (this.#ended || this.#gone) end(sink);
    if (!this.#started) {
      this.#started = true;
      void this.#pump();
    }
  }

  /** Called once when the client leaves; `null` to stop listening. */
  set onGone(listener: (() => void) | null) {
    this.#onGone = listener;
  }

  async #pump(): Promise<void> {
    for (;;) {
      let event: Awaited<ReturnType<Receive>>;
      try {
        event = await this.#receive();
      } catch {
        event = { type: 'http.disconnect' };
      }
      if (event.type === 'http.disconnect') {
        this.#gone = true;
        end(this.#sink);
        this.#onGone?.();
        return;
      }
      if (event.type !== 'http.request' || this.#ended) continue;
      const sink = this.#sink;
      if (sink !== null && event.body.length > 0 && writable(sink) && !sink.write(event.body)) {
        await drained(sink);
      }
      if (!event.moreBody) {
        this.#ended = true;
        end(this.#sink);
      }
    }
  }
}
