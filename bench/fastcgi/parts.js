// @ts-check
/**
 * The three parts of the FastCGI bench (bench/fastcgi.js): hello world through nginx with wrk, 100 MiB
 * transfers through nginx with curl, memory per idle kept connection. Each returns its table rows;
 * a backend that does not start, or a measurement that fails, becomes a row without figures and a
 * line in `unavailable` instead of stopping the run.
 */
import { best, median, runWrk } from '../wrk.js';
import { unknownTypeProbe } from './fcgi-client.js';
import { measureIdleConnections } from './memory.js';
import { cpuSeconds, tempDir } from './process.js';
import { startStack } from './stack.js';
import { download, upload, writeUploadFile } from './transfer.js';

/**
 * The command line of bench/fastcgi.js, checked: the load settings and the idle connection count
 * of the memory part.
 * @typedef {import('../options.js').LoadSettings & { idleConnections: number }} Settings
 */

/**
 * Hello world through nginx, wrk. Every backend (and its nginx) is started once and stays up, idle,
 * while the others are measured; the rounds interleave the backends, as bench/run.js does. Used by
 * bench/scgi.js as well (its backends are specs with protocol `scgi`).
 * @param {import('./backends.js').BackendSpec[]} selected
 * @param {import('../options.js').LoadSettings} s
 * @param {Map<string, string>} unavailable
 */
export async function helloPart(selected, s, unavailable) {
  process.stdout.write('\nhello world:\n');
  /** @type {Map<string, import('./stack.js').Stack>} */
  const stacks = new Map();
  /** @type {Map<string, import('./report.js').HelloRun[]>} */
  const results = new Map();
  let check = '';
  try {
    for (const spec of selected) {
      try {
        stacks.set(spec.name, await startStack(spec, 'hello', stackOptions(s)));
        results.set(spec.name, []);
      } catch (err) {
        unavailable.set(spec.label, `not available: ${reason(err)}`);
        process.stdout.write(`  ${spec.label}: not available (${reason(err)})\n`);
      }
    }
    for (let round = 1; round <= s.rounds; round++) {
      for (const spec of selected) {
        const stack = stacks.get(spec.name);
        if (stack === undefined) continue;
        const common = {
          url: `${stack.url}/`,
          threads: s.threads,
          connections: s.connections,
          cpu: cpuOf(s, 'client'),
        };
        if (round === 1) await runWrk({ ...common, duration: s.warmup });
        const cpu0 = {
          backend: cpuSeconds(stack.backend.pid),
          nginx: cpuSeconds(stack.nginxPid),
          at: Date.now(),
        };
        const result = await runWrk({ ...common, duration: s.duration });
        const seconds = (Date.now() - cpu0.at) / 1000;
        const backendCpu = (cpuSeconds(stack.backend.pid) - cpu0.backend) / seconds;
        const nginxCpu = (cpuSeconds(stack.nginxPid) - cpu0.nginx) / seconds;
        results.get(spec.name)?.push({ wrk: result, backendCpu, nginxCpu });
        const r = `${Math.round(result.requestsPerSec)} req/s, p99 ${result.p99Ms.toFixed(2)} ms`;
        const c = `CPU: backend ${percent(backendCpu)}, nginx ${percent(nginxCpu)}`;
        const e = result.errors > 0 ? `, ${result.errors} errors` : '';
        process.stdout.write(`  [${round}/${s.rounds}] ${spec.label}: ${r}, ${c}${e}\n`);
      }
    }
    for (const spec of selected) {
      if (stacks.get(spec.name)?.backend.daemon.exited() === true) {
        unavailable.set(
          `${spec.label}, hello`,
          'the backend exited during the runs (its errors are 502s from nginx)',
        );
      }
    }
    const nodeFastcgi = stacks.get('node-fastcgi');
    if (nodeFastcgi !== undefined) check = await nodeFastcgiCheck(nodeFastcgi);
  } finally {
    for (const stack of stacks.values()) await stack.stop();
  }
  const rows = selected.map((spec) => {
    const runs = results.get(spec.name) ?? [];
    return { spec, result: runs.length === 0 ? null : pickRun(runs, s.pick) };
  });
  return { rows, check };
}

/**
 * The best run (highest req/s, with its own latencies and CPU figures) or the median of each figure;
 * errors summed over all runs.
 * @param {import('./report.js').HelloRun[]} runs  at least one
 * @param {'best' | 'median'} pick
 * @returns {import('./report.js').HelloRun}
 */
function pickRun(runs, pick) {
  const wrk = (pick === 'best' ? best : median)(runs.map((r) => r.wrk));
  if (pick === 'median') {
    return {
      wrk,
      backendCpu: middle(runs.map((r) => r.backendCpu)),
      nginxCpu: middle(runs.map((r) => r.nginxCpu)),
    };
  }
  const top = runs.reduce((a, b) => (b.wrk.requestsPerSec > a.wrk.requestsPerSec ? b : a));
  return { ...top, wrk };
}

/** @param {number} fraction  of one CPU */
function percent(fraction) {
  return `${Math.round(fraction * 100)}%`;
}

/**
 * What node-fastcgi does with a management record of a type FastCGI 1.0 does not define (its
 * stream parser has no case for it). Runs last: it may bring the process down.
 * @param {import('./stack.js').Stack} stack
 */
async function nodeFastcgiCheck(stack) {
  const answer = await unknownTypeProbe(stack.backend.port);
  await new Promise((r) => setTimeout(r, 200));
  const fate = stack.backend.daemon.exited()
    ? `the process exited (${/^\w*Error: .*$/m.exec(stack.backend.daemon.output())?.[0] ?? 'no message'})`
    : 'the process is still running';
  const line = `node-fastcgi, sent a management record of unknown type 42 (FastCGI 1.0 section 4.2 asks for FCGI_UNKNOWN_TYPE): ${answer}; ${fate}`;
  process.stdout.write(`  ${line}\n`);
  return line;
}

/**
 * 100 MiB download and upload through nginx, one backend at a time (started for this part with the
 * transfer app, stopped after).
 * @param {import('./backends.js').BackendSpec[]} selected
 * @param {Settings} s
 * @param {Map<string, string>} unavailable
 * @returns {Promise<import('./report.js').TransferRow[]>}
 */
export async function transferPart(selected, s, unavailable) {
  if (selected.length === 0) return [];
  process.stdout.write('\n100 MiB download and upload:\n');
  const temp = tempDir('upload');
  const file = `${temp.dir}/upload.bin`;
  writeUploadFile(file);
  try {
    /** @type {import('./report.js').TransferRow[]} */
    const rows = [];
    for (const spec of selected) {
      let stack;
      try {
        stack = await startStack(spec, 'transfer', stackOptions(s));
      } catch (err) {
        unavailable.set(spec.label, `not available: ${reason(err)}`);
        process.stdout.write(`  ${spec.label}: not available (${reason(err)})\n`);
        rows.push({ spec, result: null });
        continue;
      }
      try {
        const cpu = cpuOf(s, 'client');
        await download(stack.url, cpu); // warm-up: JIT, nginx buffers
        await upload(stack.url, file, cpu);
        /** @type {number[]} */
        const down = [];
        /** @type {number[]} */
        const up = [];
        for (let round = 1; round <= s.rounds; round++) {
          down.push(await download(stack.url, cpu));
          up.push(await upload(stack.url, file, cpu));
          const last = `${down.at(-1)?.toFixed(0)} MiB/s down, ${up.at(-1)?.toFixed(0)} MiB/s up`;
          process.stdout.write(`  [${round}/${s.rounds}] ${spec.label}: ${last}\n`);
        }
        const pick = s.pick === 'best' ? (/** @type {number[]} */ l) => Math.max(...l) : middle;
        rows.push({ spec, result: { downloadMiBs: pick(down), uploadMiBs: pick(up) } });
      } catch (err) {
        unavailable.set(`${spec.label}, transfer`, `failed: ${reason(err)}`);
        process.stdout.write(`  ${spec.label}: failed (${reason(err)})\n`);
        rows.push({ spec, result: null });
      } finally {
        await stack.stop();
      }
    }
    return rows;
  } finally {
    temp.remove();
  }
}

/**
 * RSS growth of the backend with N idle kept connections (FastCGI for Portico FastCGI, HTTP/1.1 for
 * Portico HTTP as the comparison), without nginx: the bench's client holds the connections.
 * @param {import('./backends.js').BackendSpec[]} selected
 * @param {Settings} s
 * @param {Map<string, string>} unavailable
 * @returns {Promise<import('./report.js').MemoryRow[]>}
 */
export async function memoryPart(selected, s, unavailable) {
  if (selected.length === 0) return [];
  process.stdout.write(`\nmemory per idle kept connection (${s.idleConnections} connections):\n`);
  /** @type {import('./report.js').MemoryRow[]} */
  const rows = [];
  for (const spec of selected) {
    const temp = tempDir(`${spec.name}-memory`);
    let backend;
    try {
      backend = await spec.start({ cpu: cpuOf(s, 'backend'), dir: temp.dir, app: 'hello' });
    } catch (err) {
      temp.remove();
      unavailable.set(spec.label, `not available: ${reason(err)}`);
      process.stdout.write(`  ${spec.label}: not available (${reason(err)})\n`);
      rows.push({ spec, result: null });
      continue;
    }
    try {
      const protocol = spec.protocol;
      if (protocol === 'scgi') throw new Error('SCGI keeps no connection open between requests');
      const result = await measureIdleConnections({
        port: backend.port,
        pid: backend.pid,
        protocol,
        n: s.idleConnections,
      });
      process.stdout.write(`  ${spec.label}: ${result.perConnectionKiB.toFixed(1)} KiB per connection\n`);
      rows.push({ spec, result });
    } catch (err) {
      // e.g. more connections than the backend accepts (portico serve: --max-connections, 4096)
      unavailable.set(`${spec.label}, memory`, `failed: ${reason(err)}`);
      process.stdout.write(`  ${spec.label}: failed (${reason(err)})\n`);
      rows.push({ spec, result: null });
    } finally {
      await backend.daemon.stop();
      temp.remove();
    }
  }
  return rows;
}

/**
 * The CPU of each process: the server side (backend and nginx) on CPU 0, the load generator (wrk,
 * curl) on CPU 1, as bench/run.js pins server and wrk. With two CPUs one of them has to be shared;
 * sharing it between nginx and its backend measures the server side's cost per request as a whole
 * (a protocol that is cheaper for nginx to speak counts), and wrk never competes with either.
 * @param {{ pin: boolean }} s
 * @param {'backend' | 'nginx' | 'client'} who
 * @returns {number | null}  the CPU, or null when not pinned
 */
export function cpuOf(s, who) {
  if (!s.pin) return null;
  return who === 'client' ? 1 : 0;
}

/** @param {import('../options.js').LoadSettings} s */
function stackOptions(s) {
  return {
    cpus: { backend: cpuOf(s, 'backend'), nginx: cpuOf(s, 'nginx') },
    keepalive: Math.max(s.connections, 16),
  };
}

/**
 * The first line of an error's message (a backend's own complaint when it exited at start).
 * @param {unknown} err
 */
export function reason(err) {
  const message = err instanceof Error ? err.message : String(err);
  const lines = message.split('\n').map((l) => l.trim());
  const own = lines.slice(1).find((l) => l !== '');
  return own === undefined ? (lines[0] ?? '') : `${lines[0]} ${own}`;
}

/** @param {number[]} l  the median (lower middle) */
function middle(l) {
  const sorted = [...l].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}
