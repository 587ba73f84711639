/**
 * Standard output of a CGI program: the response, written with `fs.writev` on the file descriptor.
 *
 * Not `process.stdout`: on a pipe that is a libuv stream whose writes complete after the process
 * may have exited (`SRV-CGI-3`), and whose setup costs start-up time. Not `fs.writeSync` either: a
 * blocking write of a big response while the web server is still blocked writing the request body
 * to standard input (Apache writes the whole body before it reads any output) would deadlock, so
 * writes run on libuv's thread pool while the main thread keeps reading standard input
 * (see stdin.ts). A descriptor someone made non-blocking answers `EAGAIN` when full; the write is
 * then retried after a short, growing delay (there is no portable way to wait for it in Node).
 *
 * @module
 */
import { writev } from 'node:fs';

/** Bytes queued before `write()` says to wait (the cycle then awaits {@link Output.onDrain}). */
export const HIGH_WATER_MARK = 64 * 1024;
/** Longest wait between retries of a write that found the descriptor full (`EAGAIN`), ms. */
const MAX_RETRY_DELAY = 16;

/** The response's way out: a queue of chunks written in order, one `writev` at a time. */
export class Output {
  /** Called when the queue fell under the high-water mark after a `write()` returned false. */
  onDrain: () => void = () => {};
  /** Called when a write starts or finishes ({@link busy} changed). */
  onBusy: () => void = () => {};
  /** Called once when a write failed: nothing more will be written. */
  onError: () => void = () => {};
  /** The error that stopped output (`EPIPE`: the web server stopped reading), or `null`. */
  error: NodeJS.ErrnoException | null = null;
  private readonly fd: number;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private writing = false;
  private ended = false;
  private needDrain = false;
  private abandoned = false;
  private retryDelay = 0;
  private flushWaiters: (() => void)[] = [];

  constructor(fd: number) {
    this.fd = fd;
  }

  /** Whether a write is in flight (it may be blocked on a full pipe). */
  get busy(): boolean {
    return this.writing;
  }

  /** Bytes queued or in flight. */
  get pending(): number {
    return this.queued;
  }

  /**
   * Queues `chunk` (not copied: it must not change until written) and starts writing. Returns
   * `false` when the queue is over {@link HIGH_WATER_MARK}: wait for {@link onDrain}.
   */
  write(chunk: Uint8Array): boolean {
    if (this.ended || this.error !== null) return true;
    if (chunk.length > 0) {
      this.queue.push(chunk);
      this.queued += chunk.length;
      if (!this.writing) this.flush();
    }
    if (this.queued < HIGH_WATER_MARK) return true;
    this.needDrain = true;
    return false;
  }

  /** No more writes: what is queued is still written. */
  end(): void {
    this.ended = true;
    this.settle();
  }

  /** Drops what is queued but not yet handed to the kernel, and takes no more writes. */
  abandon(): void {
    this.ended = true;
    this.abandoned = true;
    if (!this.writing) this.drop();
    this.settle();
  }

  /** Resolves once everything queued was written, or output failed. */
  flushed(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  private idle(): boolean {
    return !this.writing && this.queue.length === 0;
  }

  private drop(): void {
    this.queue = [];
    this.queued = 0;
  }

  private flush(): void {
    this.writing = true;
    this.onBusy();
    // writev reads the array when called: chunks queued meanwhile wait for the next call.
    writev(this.fd, this.queue, (err, written) => this.written(err, written));
  }

  private written(err: NodeJS.ErrnoException | null, written: number): void {
    this.writing = false;
    if (err !== null) {
      if ((err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK') && !this.abandoned) {
        this.retryDelay = this.retryDelay === 0 ? 1 : Math.min(this.retryDelay * 2, MAX_RETRY_DELAY);
        this.writing = true;
        setTimeout(() => this.flush(), this.retryDelay);
        return;
      }
      this.error = err;
      this.drop();
      this.onBusy();
      this.onError();
      this.settle();
      return;
    }
    this.retryDelay = 0;
    this.queued -= written;
    const queue = this.queue;
    let i = 0;
    while (written > 0 && i < queue.length) {
      const chunk = queue[i]!;
      if (written >= chunk.length) {
        written -= chunk.length;
        i++;
      } else {
        queue[i] = chunk.subarray(written);
        written = 0;
      }
    }
    if (i > 0) queue.splice(0, i);
    if (this.abandoned) this.drop();
    if (this.queue.length > 0) this.flush();
    else this.onBusy();
    if (this.needDrain && this.queued < HIGH_WATER_MARK) {
      this.needDrain = false;
      this.onDrain();
    }
    this.settle();
  }

  private settle(): void {
    if (!this.idle() || this.flushWaiters.length === 0) return;
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) w();
  }
}
