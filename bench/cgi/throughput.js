// @ts-check
/**
 * Requests per second of a hello CGI request under Apache's mod_cgid, one program after the
 * other, measured with wrk at low concurrency (every request forks and execs a program).
 */
import { cpuOf, reason } from '../fastcgi/parts.js';
import { best, median, runWrk } from '../wrk.js';
import { startApache } from './apache.js';
import { cgiEnv, HELLO, runDirect } from './programs.js';

/**
 * @typedef {object} ThroughputRow
 * @property {import('./programs.js').ProgramSpec} spec
 * @property {import('../wrk.js').WrkResult | null} result  null when the program was not available
 */

/**
 * Checks each program (its `missing()`, then one direct run with a CGI environment), starts one
 * Apache with the ones that work, checks each through Apache, then measures them, rounds
 * interleaved as in the other benches. A program that fails a check gets a row without figures
 * and a line in `unavailable`.
 * @param {import('./programs.js').ProgramSpec[]} selected
 * @param {import('../options.js').LoadSettings} s
 * @param {Map<string, string>} unavailable
 * @returns {Promise<ThroughputRow[]>}
 */
export async function throughputPart(selected, s, unavailable) {
  process.stdout.write('\nrequests/s under Apache mod_cgid:\n');
  /** @param {import('./programs.js').ProgramSpec} spec @param {string} why */
  const skip = (spec, why) => {
    unavailable.set(spec.label, `not available: ${why}`);
    process.stdout.write(`  ${spec.label}: not available (${why})\n`);
  };
  /** @type {Map<string, string>} */
  const files = new Map();
  const apache = await startApache({
    cpu: cpuOf(s, 'backend'),
    prepare: (dir) => {
      for (const spec of selected) files.set(spec.name, spec.file(dir));
      return new Map([...files].map(([name, file]) => [`/cgi-bin/${name}`, file]));
    },
  });
  /** @type {Map<string, import('../wrk.js').WrkResult[]>} */
  const results = new Map();
  try {
    for (const spec of selected) {
      const why = (await spec.missing?.()) ?? null;
      if (why !== null) {
        skip(spec, why);
        continue;
      }
      const direct = runDirect(files.get(spec.name) ?? '', [], cgiEnv(spec.name));
      if (!direct.ok) {
        skip(spec, `run directly: ${direct.problem}`);
        continue;
      }
      const res = await fetch(`${apache.url}/cgi-bin/${spec.name}`);
      const body = await res.text();
      if (res.status !== 200 || body !== HELLO) {
        const log = apache.errorLog().trim().split('\n').at(-1) ?? '';
        skip(spec, `through Apache: ${res.status} ${JSON.stringify(body.slice(0, 80))}; ${log}`);
        continue;
      }
      results.set(spec.name, []);
    }
    for (let round = 1; round <= s.rounds; round++) {
      for (const spec of selected) {
        const runs = results.get(spec.name);
        if (runs === undefined) continue;
        const common = {
          url: `${apache.url}/cgi-bin/${spec.name}`,
          threads: s.threads,
          connections: s.connections,
          cpu: cpuOf(s, 'client'),
        };
        if (round === 1) await runWrk({ ...common, duration: s.warmup });
        const result = await runWrk({ ...common, duration: s.duration });
        runs.push(result);
        const e = result.errors > 0 ? `, ${result.errors} errors` : '';
        const r = `${Math.round(result.requestsPerSec)} req/s, p99 ${result.p99Ms.toFixed(2)} ms${e}`;
        process.stdout.write(`  [${round}/${s.rounds}] ${spec.label}: ${r}\n`);
      }
    }
  } catch (err) {
    throw new Error(`${reason(err)}\nApache's error log:\n${apache.errorLog()}`);
  } finally {
    await apache.stop();
  }
  return selected.map((spec) => {
    const runs = results.get(spec.name) ?? [];
    return { spec, result: runs.length === 0 ? null : (s.pick === 'best' ? best : median)(runs) };
  });
}

/** The rows every program is compared with: one ratio column each. */
const REFERENCES = [
  { name: 'node', column: 'vs bare Node' },
  { name: 'python', column: 'vs Python' },
  { name: 'shell', column: 'vs shell' },
];

/**
 * Cells of the throughput table.
 * @param {ThroughputRow[]} rows
 * @returns {{ header: string[], cells: string[][] }}
 */
export function throughputCells(rows) {
  const rps = new Map(rows.map((r) => [r.spec.name, r.result?.requestsPerSec ?? null]));
  const header = ['CGI program (Apache mod_cgid)', 'req/s', 'p50', 'p99', 'errors'];
  header.push(...REFERENCES.map((r) => r.column));
  const cells = rows.map(({ spec, result }) =>
    result === null
      ? [spec.label, 'not measured', '-', '-', '-', ...REFERENCES.map(() => '-')]
      : [
          spec.label,
          Math.round(result.requestsPerSec).toLocaleString('en-US'),
          `${result.p50Ms.toFixed(2)} ms`,
          `${result.p99Ms.toFixed(2)} ms`,
          String(result.errors),
          ...REFERENCES.map((ref) => {
            const base = rps.get(ref.name);
            return base === null || base === undefined
              ? '-'
              : `${(result.requestsPerSec / base).toFixed(2)}x`;
          }),
        ],
  );
  return { header, cells };
}
