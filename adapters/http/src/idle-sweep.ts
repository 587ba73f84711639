/**
 * The idle timeout (`SRV-LIMIT-2`): a connection on which no byte moved, in or out, for
 * `idleTimeout` ms is closed. node:http's `server.timeout` does the same with a timer per socket
 * that every read and write re-arms; a sweep over the open connections a few times per timeout
 * costs nothing per request instead, and is as exact as a timeout of this kind needs to be.
 *
 * @module
 */
import type { Connection } from './core.js';

/**
 * Starts sweeping `connections` every quarter of `idleTimeout` (at least every 50 ms); returns the
 * function that stops it. An `idleTimeout` of 0 disables the sweep.
 */
export function startIdleSweep(connections: Set<Connection>, idleTimeout: number): () => void {
  if (idleTimeout <= 0) return () => {};
  const timer = setInterval(
    () => {
      const now = Date.now();
      for (const conn of connections) {
        const socket = conn.socket;
        const activity = socket.bytesRead + socket.bytesWritten;
        if (activity !== conn.activity) {
          conn.activity = activity;
          conn.activeAt = now;
        } else if (now - conn.activeAt >= idleTimeout) {
          socket.destroy();
        }
      }
    },
    Math.max(50, Math.floor(idleTimeout / 4)),
  );
  timer.unref();
  return () => clearInterval(timer);
}
