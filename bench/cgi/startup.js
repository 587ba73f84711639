// @ts-check
/**
 * Cold start of one hello CGI request, without a web server: each program is run directly with the
 * meta-variables of a GET (bench/cgi/programs.js) and an empty stdin, one run after the other, and
 * timed from spawn to exit; `node -e ''` is the floor of a Node program. The target: the
 * Portico adapter's own share, Portico's runCGI script over bare `node -e ''`, under 10 ms.
 */
import { cgiEnv, runDirect } from './programs.js';

/** The target of the adapter's own share of a cold start, ms beyond bare `node -e ''`. */
export const ADAPTER_SHARE_TARGET_MS = 10;

/**
 * @typedef {object} StartupRow
 * @property {string} name
 * @property {string} label
 * @property {{ medianMs: number, minMs: number } | null} result  null when it did not run
 * @property {string} problem  why it did not run
 */

/**
 * Times `runs` cold starts of bare `node -e ''` and of each program (after one untimed run each,
 * to fill the page cache), interleaved run by run so background load spreads over all of them. A
 * program that is missing (`problem` not empty) or fails a run gets a row without figures.
 * @param {{ name: string, label: string, file: string, problem: string }[]} programs
 * @param {number} runs
 * @returns {StartupRow[]}
 */
export function coldStarts(programs, runs) {
  const rows = [
    { name: 'node-e', label: "bare `node -e ''`", command: process.execPath, args: ['-e', ''], hello: false },
    ...programs.map((p) => ({ name: p.name, label: p.label, command: p.file, args: [], hello: true })),
  ];
  /** @type {Map<string, number[]>} */
  const times = new Map(rows.map((r) => [r.name, []]));
  /** @type {Map<string, string>} */
  const problems = new Map(programs.filter((p) => p.problem !== '').map((p) => [p.name, p.problem]));
  for (let i = 0; i <= runs; i++) {
    for (const row of rows) {
      if (problems.has(row.name)) continue;
      const run = runDirect(row.command, row.args, cgiEnv(row.name), row.hello);
      if (!run.ok) problems.set(row.name, run.problem);
      else if (i > 0) times.get(row.name)?.push(run.ms);
    }
  }
  return rows.map((row) => {
    const list = [...(times.get(row.name) ?? [])].sort((a, b) => a - b);
    const problem = problems.get(row.name) ?? '';
    return {
      name: row.name,
      label: row.label,
      result:
        problem !== '' || list.length === 0
          ? null
          : { medianMs: list[Math.floor((list.length - 1) / 2)] ?? 0, minMs: list[0] ?? 0 },
      problem,
    };
  });
}

/**
 * Cells of the cold start table: median and fastest run, and the median over bare `node -e ''`
 * for the Node programs, with the target on the Portico runCGI row.
 * @param {StartupRow[]} rows
 * @param {Set<string>} nodePrograms  names of the rows that run on Node
 * @returns {{ header: string[], cells: string[][], verdicts: string[] }}
 */
export function startupCells(rows, nodePrograms) {
  const bare = rows.find((r) => r.name === 'node-e')?.result ?? null;
  const header = ['program (run directly)', 'median', 'fastest', "beyond node -e ''", 'target'];
  /** @type {string[]} */
  const verdicts = [];
  const ms = (/** @type {number} */ v) => `${v.toFixed(1)} ms`;
  const cells = rows.map((row) => {
    if (row.result === null) return [row.label, 'not measured', '-', '-', ''];
    const beyond = bare !== null && nodePrograms.has(row.name) ? row.result.medianMs - bare.medianMs : null;
    let target = '';
    if (row.name === 'portico' && beyond !== null) {
      const ok = beyond < ADAPTER_SHARE_TARGET_MS;
      target = `< ${ADAPTER_SHARE_TARGET_MS} ms ${ok ? 'ok' : 'MISSED'}`;
      verdicts.push(
        `Portico runCGI cold start beyond bare node -e '' < ${ADAPTER_SHARE_TARGET_MS} ms: ${ms(beyond)} ${ok ? 'ok' : 'MISSED'}`,
      );
    }
    return [
      row.label,
      ms(row.result.medianMs),
      ms(row.result.minMs),
      beyond === null ? '-' : `${beyond >= 0 ? '+' : ''}${ms(beyond)}`,
      target,
    ];
  });
  if (rows.some((r) => r.name === 'portico' && r.result === null)) {
    verdicts.push(
      `Portico runCGI cold start beyond bare node -e '' < ${ADAPTER_SHARE_TARGET_MS} ms: not measured`,
    );
  }
  return { header, cells, verdicts };
}
