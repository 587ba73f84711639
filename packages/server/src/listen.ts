/**
 * Listening on a {@link Bind} with a node:net server (node:http's servers are net servers too), and
 * the stale unix socket rule every adapter shares.
 *
 * @module
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import type { Bind } from './bind.js';

/**
 * Listens on `bind` and resolves with the address as listened on (the real port when 0 was
 * asked for): `{host, port}`, `{path}` for a unix socket, or `{fd}` for an inherited descriptor.
 * A socket file left by a server that died is removed first; a live one is not (EADDRINUSE follows).
 * A unix socket gets the permission bits `socketMode` when given (php-fpm's `listen.mode`, uWSGI's
 * `--chmod-socket`): a front end running as another user (Apache's www-data) must be able to connect.
 *
 * @param socketMode - permission bits for a unix socket file, e.g. `0o660`; default: as the umask leaves them
 * @throws the listen error (`EADDRINUSE`, `EACCES`, `EBADF` for an fd that is not a listening socket),
 *   or the chmod error
 */
export async function listenOn(
  server: Server,
  bind: Bind,
  socketMode?: number,
): Promise<{ host: string; port: number } | { path: string } | { fd: number }> {
  if (bind.kind === 'unix') await removeStaleSocket(bind.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (bind.kind === 'tcp') server.listen({ host: bind.host, port: bind.port }, done);
    else if (bind.kind === 'unix') server.listen({ path: bind.path }, done);
    else server.listen({ fd: bind.fd }, done);
  });
  const address = server.address();
  if (typeof address === 'string') {
    if (socketMode !== undefined) await chmod(address, socketMode);
    return { path: address };
  }
  if (address === null) return { fd: bind.kind === 'fd' ? bind.fd : -1 };
  return { host: address.address, port: address.port };
}

/** Removes a socket file nobody listens on any more; leaves a live one (and any non-socket) alone. */
export async function removeStaleSocket(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => null);
  if (stat === null || !stat.isSocket()) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (!alive) await unlink(path).catch(() => {});
}
