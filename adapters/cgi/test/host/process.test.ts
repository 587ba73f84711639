/**
 * The program as a process: no descriptor of the host beyond standard input, output and error
 * (spec/servers.md SRV-CGI-9), its own process group, stopped (SIGTERM, then SIGKILL to the group)
 * and reaped at its timeout (504), when the client leaves, and at shutdown (SRV-CGI-8).
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { isPorticoError } from '@portico/spec';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../../../../packages/server/test/rule.js';
import { createClient } from '../../../../packages/testing/src/index.js';
import { cgiHost } from '../../src/index.js';
import {
  alive,
  type CGIRoot,
  hostClient,
  loggedPids,
  makeRoot,
  memoryLogger,
  processState,
  until,
} from './helpers.js';
import {
  descriptors,
  get,
  INHERITED,
  programDescriptors,
  settledDescriptors,
  startHost,
  stopHosts,
} from './host-process.js';

let dir: CGIRoot;

beforeAll(() => {
  dir = makeRoot();
});
afterAll(() => dir.remove());

/** Whether a process is gone or only a zombie that something else must reap. */
const stopped = (pid: number) => {
  const state = processState(pid);
  return state === null || state === 'Z';
};

describe('descriptors (in this process)', () => {
  rule('SRV-CGI-9', 'the program holds standard input, output and error, and nothing else', async () => {
    const { client } = hostClient(dir.root);
    const res = await client.stream('GET', '/cgi-bin/fds.sh?5');
    const iterator = res[Symbol.asyncIterator]();
    const first = await iterator.next();
    const pid = Number(
      Buffer.from(first.value as Uint8Array)
        .toString()
        .trim(),
    );
    expect(pid).toBeGreaterThan(0);
    // Once it became `sleep`, it holds what it inherited and nothing of the shell's.
    expect(await until(() => readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('sleep'))).toBe(true);
    expect(await settledDescriptors(pid)).toEqual([0, 1, 2]);
    // Pipes of its own (not /dev/null, not the host's standard streams).
    for (const fd of [0, 1, 2]) expect(readlinkSync(`/proc/${pid}/fd/${fd}`)).toMatch(/^(socket|pipe):/);
    expect(readlinkSync(`/proc/${pid}/fd/1`)).not.toBe(readlinkSync('/proc/self/fd/1'));
    // It leads its own process group.
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    expect(pgid).toBe(pid);
    // The client leaves: the program is stopped and reaped.
    res.disconnect();
    await res.finished;
    expect(alive(pid)).toBe(false);
  });
});

// ---- A host in a process of its own, with the descriptors the test chooses -----------------------

afterEach(stopHosts);

/** Whether descriptor `fd` of `pid` is close-on-exec. */
function closeOnExec(pid: number, fd: number): boolean {
  const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1'))![1]!;
  return (Number.parseInt(flags, 8) & 0o2000000) !== 0;
}

describe('descriptors (a host process of its own)', () => {
  rule(
    'SRV-CGI-9',
    'a descriptor the host inherited without close-on-exec does not reach the program',
    async () => {
      const host = await startHost(dir.root, INHERITED);
      // The hazard is real: the host holds the descriptor and it is not close-on-exec.
      expect(descriptors(host.pid)).toContain(INHERITED);
      expect(closeOnExec(host.pid, INHERITED)).toBe(false);
      const { status, seen } = await programDescriptors(host.url);
      expect(status).toBe(200);
      expect(seen).toEqual([0, 1, 2]);
    },
  );

  rule(
    'SRV-CGI-9',
    'with no inherited descriptor the program is started directly, and still holds only 0..2',
    async () => {
      const host = await startHost(dir.root);
      for (const fd of descriptors(host.pid)) if (fd > 2) expect(closeOnExec(host.pid, fd)).toBe(true);
      const { status, seen } = await programDescriptors(host.url);
      expect(status).toBe(200);
      expect(seen).toEqual([0, 1, 2]);
      const env = JSON.parse((await get(host.url, '/env.py/x?q=1')).body) as { env: Record<string, string> };
      expect(env.env).toMatchObject({ SCRIPT_NAME: '/env.py', PATH_INFO: '/x', QUERY_STRING: 'q=1' });
      expect(env.env.HTTP_PROXY).toBeUndefined();
    },
  );
});

describe('stopping and reaping', () => {
  rule(
    'SRV-CGI-8',
    'a program that never answers gets 504 at the timeout, and is killed and reaped',
    async () => {
      const { client, logger } = hostClient(dir.root, { timeout: 400 });
      const started = Date.now();
      const res = await client.get('/cgi-bin/sleep.sh');
      const elapsed = Date.now() - started;
      expect(res.status).toBe(504);
      expect(res.text()).toBe('504 Gateway Timeout\n');
      expect(elapsed).toBeGreaterThanOrEqual(380);
      expect(elapsed).toBeLessThan(3000);
      const [pid] = loggedPids(logger);
      expect(pid).toBeGreaterThan(0);
      expect(alive(pid!)).toBe(false);
    },
  );

  rule('SRV-CGI-8', 'a program that ignores SIGTERM gets SIGKILL after killGrace', async () => {
    const { client, logger } = hostClient(dir.root, { timeout: 300, killGrace: 400 });
    const started = Date.now();
    const res = await client.get('/cgi-bin/sleep.sh?term');
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(680);
    const [pid] = loggedPids(logger);
    expect(alive(pid!)).toBe(false);
  });

  rule(
    'SRV-CGI-8',
    'the whole process group is stopped: a child left holding the output goes too',
    async () => {
      const { client, logger } = hostClient(dir.root, { timeout: 400, killGrace: 200 });
      const res = await client.get('/cgi-bin/sleep.sh?child');
      expect(res.status).toBe(504);
      const [pid] = loggedPids(logger);
      expect(pid).toBeGreaterThan(0);
      expect(await until(() => stopped(pid!))).toBe(true);
    },
  );

  rule('SRV-CGI-8', 'a timeout after the response began cuts it short', async () => {
    const { client, logger } = hostClient(dir.root, { timeout: 400 });
    const res = await client.stream('GET', '/cgi-bin/sleep.sh?late');
    expect(res.status).toBe(200);
    const chunks: string[] = [];
    const error = await (async () => {
      for await (const chunk of res) chunks.push(Buffer.from(chunk).toString());
    })().then(
      () => null,
      (err: unknown) => err,
    );
    expect(chunks.join('')).toBe('first\n');
    expect(isPorticoError(error, 'ERR_TIMEOUT')).toBe(true);
    expect(alive(loggedPids(logger)[0]!)).toBe(false);
  });

  rule('SRV-CGI-8', 'a client that leaves stops the program', async () => {
    const { client, logger } = hostClient(dir.root);
    const res = await client.stream('GET', '/cgi-bin/sleep.sh?late');
    const iterator = res[Symbol.asyncIterator]();
    expect(Buffer.from((await iterator.next()).value as Uint8Array).toString()).toBe('first\n');
    const started = Date.now();
    res.disconnect();
    await res.finished;
    expect(Date.now() - started).toBeLessThan(2000);
    const [pid] = loggedPids(logger);
    expect(alive(pid!)).toBe(false);
  });

  rule('SRV-CGI-8', 'a program whose output became bad is stopped too', async () => {
    const { client } = hostClient(dir.root);
    const before = Date.now();
    const res = await client.get('/cgi-bin/bad.sh?headers-forever');
    expect(res.status).toBe(502);
    expect(Date.now() - before).toBeLessThan(3000);
  });

  it('lifespan shutdown stops the programs still running: 503 before a head, cut after', async () => {
    const logger = memoryLogger();
    const client = createClient(cgiHost({ root: dir.root, logger }));
    await client.startup();
    const waiting = client.get('/sleep.sh');
    const streaming = await client.stream('GET', '/sleep.sh?late');
    const iterator = streaming[Symbol.asyncIterator]();
    await iterator.next();
    await until(() => loggedPids(logger).length === 2);
    await client.shutdown();
    expect((await waiting).status).toBe(503);
    const error = await iterator.next().then(
      () => null,
      (err: unknown) => err,
    );
    expect(isPorticoError(error, 'ERR_CGI_STOPPED')).toBe(true);
    for (const pid of loggedPids(logger)) expect(alive(pid)).toBe(false);
  });
});
