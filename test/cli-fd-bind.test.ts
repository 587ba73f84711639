/**
 * `portico serve --bind fd://N`: serving on a listening socket inherited from the parent, the way
 * systemd socket activation, spawn-fcgi and lighttpd's bin-path hand one over (spec/servers.md).
 * The parent listens, passes the socket as fd 3, closes its own copy, and talks to the child.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../packages/cli/bin/portico.js', import.meta.url));

test('serves the hello app on an inherited listening socket (fd://3)', async () => {
  const listener: Server = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as { port: number };
  const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
  expect(fd).toBeGreaterThan(2);

  const child = spawn(
    process.execPath,
    [BIN, 'serve', 'examples/hello/async.ts', '--bind', 'fd://3', '--access-log', 'off'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', fd] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  try {
    // The parent lets go of its copy: from now on only the child accepts on the socket.
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        if (/listening address=/.test(stderr)) resolve();
        else if (child.exitCode !== null) reject(new Error(`portico exited: ${stderr}`));
        else if (Date.now() - started > 15_000) reject(new Error(`portico did not start: ${stderr}`));
        else setTimeout(check, 50);
      };
      check();
    });
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Hello, world!\n');
  } finally {
    child.kill('SIGTERM');
    await once(child, 'close');
  }
});
