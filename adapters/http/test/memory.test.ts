/**
 * SRV-FLOW-1 end to end: a 1 GiB response read slowly keeps the server's RSS under 200 MB. The
 * server runs in a child process from dist/ (run `pnpm build` first) so its RSS is its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect } from 'vitest';
import { rule } from '../../../packages/server/test/rule.js';

const fixture = fileURLToPath(new URL('./fixtures/big-response.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const GiB = 1024 ** 3;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error('no VmRSS');
  return Number(m[1]) * 1024;
}

let child: ChildProcess | null = null;
afterEach(() => {
  child?.kill('SIGKILL');
  child = null;
});

describe('memory stays bounded with a slow client', () => {
  rule(
    'SRV-FLOW-1',
    'serves 1 GiB to a slow reader with the server RSS under 200 MB',
    async () => {
      expect(existsSync(dist), 'adapters/http/dist is missing: run `pnpm build` first').toBe(true);
      const proc = spawn(process.execPath, [fixture, String(GiB)], { stdio: ['ignore', 'pipe', 'inherit'] });
      child = proc;
      const address = await new Promise<string>((resolve, reject) => {
        proc.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
        proc.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      });
      const { port } = new URL(address);
      const pid = proc.pid!;
      let maxRss = rssBytes(pid);
      const sampler = setInterval(() => {
        maxRss = Math.max(maxRss, rssBytes(pid));
      }, 25);

      let received = 0;
      let headerEnd = -1;
      let head = '';
      const socket = connect(Number(port), '127.0.0.1');
      socket.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      const done = new Promise<void>((resolve, reject) => {
        socket.on('data', (chunk: Buffer) => {
          if (headerEnd < 0) {
            head += chunk.toString('latin1');
            headerEnd = head.indexOf('\r\n\r\n');
            if (headerEnd >= 0) received += head.length - headerEnd - 4;
          } else {
            received += chunk.length;
          }
        });
        socket.on('end', resolve);
        socket.on('error', reject);
      });
      // Slow phase: read in short bursts with long pauses, far below what the server can send, for
      // the first 256 MiB; then read at full speed to the end.
      while (received < 256 * 1024 ** 2) {
        socket.pause();
        await new Promise((r) => setTimeout(r, 20));
        socket.resume();
        await new Promise((r) => setTimeout(r, 2));
      }
      const rssWhileSlow = maxRss;
      await done;
      clearInterval(sampler);
      expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(head).toContain(`content-length: ${GiB}`);
      expect(received).toBe(GiB);
      expect(rssWhileSlow).toBeLessThan(200 * 1024 ** 2);
      expect(maxRss).toBeLessThan(200 * 1024 ** 2);
      console.log(`server RSS peak ${(maxRss / 1024 ** 2).toFixed(1)} MB for a 1 GiB response`);
    },
    120_000,
  );
});
