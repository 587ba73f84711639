// @ts-check
/**
 * The load options shared by the benches (bench/run.js, bench/fastcgi.js, bench/scgi.js,
 * bench/cgi.js): how long, how many connections, how many rounds, which backends, pinned or not;
 * and the command-line frame every bench script runs in.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** `parseArgs` options of the load settings; `connections` gets its default from the caller. */
export const LOAD_OPTIONS = /** @type {const} */ ({
  duration: { type: 'string', default: '10s' },
  warmup: { type: 'string' },
  connections: { type: 'string' },
  threads: { type: 'string', default: '1' },
  rounds: { type: 'string', default: '1' },
  pick: { type: 'string', default: 'best' },
  only: { type: 'string' },
  'no-pin': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
});

/**
 * The load settings, checked.
 * @typedef {object} LoadSettings
 * @property {string} duration  measured wrk run, wrk syntax (`10s`)
 * @property {string} warmup  warm-up run before the first measured one
 * @property {number} connections  wrk `-c`
 * @property {number} threads  wrk `-t`
 * @property {number} rounds  measured runs per backend, backends interleaved
 * @property {'best' | 'median'} pick  which run (or the median of each figure) is reported
 * @property {boolean} pin  server side on CPU 0, load generator on CPU 1 (`taskset`; needs 2 CPUs)
 */

/**
 * Reads the load settings out of `parseArgs` values.
 * @param {{ duration?: string, warmup?: string, connections?: string, threads?: string, rounds?: string,
 *   pick?: string, 'no-pin'?: boolean }} values
 * @param {number} defaultConnections  `--connections` when not given
 * @returns {LoadSettings}
 * @throws Error naming the option when a value is malformed
 */
export function loadSettings(values, defaultConnections) {
  const duration = values.duration ?? '10s';
  const warmup = values.warmup ?? duration;
  for (const [name, v] of /** @type {const} */ ([
    ['duration', duration],
    ['warmup', warmup],
  ])) {
    if (!/^\d+(?:\.\d+)?[smh]?$/.test(v)) throw new Error(`--${name}: expected a time like 10s, got ${v}`);
  }
  const pick = values.pick ?? 'best';
  if (pick !== 'best' && pick !== 'median') throw new Error(`--pick: expected best or median, got ${pick}`);
  const pin =
    values['no-pin'] !== true &&
    availableParallelism() >= 2 &&
    spawnSync('taskset', ['-V']).error === undefined;
  return {
    duration,
    warmup,
    connections: positive('connections', values.connections ?? String(defaultConnections)),
    threads: positive('threads', values.threads ?? '1'),
    rounds: positive('rounds', values.rounds ?? '1'),
    pick,
    pin,
  };
}

/**
 * The names given to a list option (`--only a,b`), checked against `known`; all of them when
 * the option is absent.
 * @param {string} option  for the error message
 * @param {string | undefined} given
 * @param {string[]} known
 * @throws Error listing the unknown names
 */
export function names(option, given, known) {
  const list = given?.split(',').map((x) => x.trim());
  if (list === undefined) return known;
  const unknown = list.filter((n) => !known.includes(n));
  if (unknown.length > 0)
    throw new Error(`--${option}: unknown ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return list;
}

/**
 * A positive integer option.
 * @param {string} option  for the error message
 * @param {string | undefined} text
 * @throws Error when `text` is not a positive integer
 */
export function positive(option, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${option}: expected a positive integer, got ${text}`);
  return n;
}

/**
 * The help lines of {@link LOAD_OPTIONS} but `--only`, `--no-pin` and `--help` (which differ per
 * bench or come last), each ending with a newline.
 * @param {{ unit: string, units: string, frontEnd: string, connections: number }} o  what one
 *   measured thing is called (`backend`, `backends`), what the clients connect to (`nginx`), and
 *   `--connections`' default
 */
export function loadUsage(o) {
  return `  --duration TIME         measured wrk run per ${o.unit}, wrk syntax (default: 10s)
  --warmup TIME           warm-up run per ${o.unit} before it (default: same as --duration)
  --connections N         open client connections to ${o.frontEnd} (default: ${o.connections})
  --threads N             wrk threads (default: 1)
  --rounds N              repeat the measurements N times, ${o.units} interleaved (default: 1)
  --pick best|median      with --rounds: each ${o.unit}'s best run or the median of each figure
                          (default: best)
`;
}

/**
 * The load line printed and written with the results: `wrk -t1 -c50 -d10s --latency (after a 10s
 * warm-up run)`.
 * @param {Pick<LoadSettings, 'duration' | 'warmup' | 'connections' | 'threads'>} s
 */
export function loadLine(s) {
  return `wrk -t${s.threads} -c${s.connections} -d${s.duration} --latency (after a ${s.warmup} warm-up run)`;
}

/**
 * Runs a bench script: prints `usage` with `--help`, else awaits `main`; an error is printed as
 * `name: message` on stderr with exit code 1.
 * @param {string} name  the script's name in messages (`bench:scgi`)
 * @param {string} usage
 * @param {{ help?: boolean }} values  `parseArgs` values
 * @param {() => Promise<void>} main
 */
export async function runCli(name, usage, values, main) {
  try {
    if (values.help) {
      process.stdout.write(usage);
    } else {
      await main();
    }
  } catch (err) {
    process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
