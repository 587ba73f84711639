/**
 * The access-log sink of `portico serve`: Combined Log Format lines to stdout or to a file opened in
 * append mode. Lines are batched and written once per event-loop turn, so a busy server makes one
 * write per turn instead of one per request.
 *
 * @module
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { type AccessLogEntry, formatCombinedLog, type Logger } from '@portico/server';
import { PorticoError } from '@portico/spec';

/** Where access-log lines go. */
export interface AccessLogSink {
  /** Formats `entry` (Combined Log Format) and queues the line. */
  readonly log: (entry: AccessLogEntry) => void;
  /** Writes what is queued and, for a file, closes it. */
  close(): Promise<void>;
}

/** Flush at once when this many characters are queued (64 KiB). */
const FLUSH_AT = 64 * 1024;
/**
 * When the destination has this many bytes still unwritten (16 MiB: a stalled disk or pipe), new
 * lines are dropped rather than buffered without bound; the count is reported on stderr.
 */
const MAX_PENDING = 16 * 1024 * 1024;

/**
 * Opens the access log named by `--access-log`: `-` is stdout, `off` is none (returns `null`), any
 * other value is a file path, created if missing and opened in append mode (`O_APPEND`), so several
 * processes and logrotate's copytruncate can share it. `logger` gets write errors later on.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` when the file cannot be opened (message names the path)
 */
export async function openAccessLog(target: string, logger: Logger): Promise<AccessLogSink | null> {
  if (target === 'off') return null;
  if (target === '-') return createAccessLogSink(process.stdout, false, logger);
  const file = createWriteStream(target, { flags: 'a' });
  try {
    await once(file, 'open');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new PorticoError('ERR_INVALID_OPTION', `option --access-log: cannot open ${target}: ${reason}`);
  }
  return createAccessLogSink(file, true, logger);
}

/**
 * A sink writing batched Combined Log Format lines to `out`. A write error (disk full, EPIPE on a
 * closed stdout) never crashes the server: it is logged once and the access log stops. When `out`
 * has more than 16 MiB unwritten (a stalled disk or pipe), lines are dropped and counted instead of
 * buffered without bound.
 *
 * @param out - the destination
 * @param owned - whether `close()` ends `out` (a file) or only waits for it to drain (stdout)
 * @param logger - where write errors and dropped lines are reported
 */
export function createAccessLogSink(out: Writable, owned: boolean, logger: Logger): AccessLogSink {
  let queued = '';
  let scheduled = false;
  let failed = false;
  let dropped = 0;
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (failed) return;
    failed = true;
    logger.error('access log disabled after a write error', { error: err.code ?? err.message });
  });
  const flush = (): void => {
    scheduled = false;
    if (queued === '') return;
    const text = queued;
    queued = '';
    if (failed) return;
    if (out.writableLength > MAX_PENDING) {
      if (dropped === 0) logger.warn('access log destination is stalled: dropping lines');
      dropped += text.split('\n').length - 1;
      return;
    }
    if (dropped > 0) {
      logger.warn('access log lines were dropped', { dropped });
      dropped = 0;
    }
    out.write(text);
  };
  return {
    log(entry) {
      queued += `${formatCombinedLog(entry)}\n`;
      if (queued.length >= FLUSH_AT) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    async close() {
      flush();
      if (failed) return;
      // once() rejects on 'error'; the error listener above has reported it already.
      if (owned) {
        out.end();
        await once(out, 'close').catch(() => {});
      } else if (out.writableNeedDrain) {
        await once(out, 'drain').catch(() => {});
      }
    },
  };
}
