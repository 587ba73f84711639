// @ts-check
/**
 * The results: tables printed to the terminal and written as markdown, and the markdown file each
 * bench script writes under bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';

/**
 * @typedef {object} Row
 * @property {import('./servers.js').ServerSpec} spec
 * @property {import('./wrk.js').WrkResult} result
 */

/**
 * The table's rows as cells; ratios are to the `node` row (bare node:http), or those of `ratios`.
 * @param {Row[]} rows
 * @param {Map<string, { rps: number, p99: number }> | null} [ratios]  ratios by server name to use
 *   instead of dividing the rows' figures
 * @returns {{ header: string[], cells: string[][], verdicts: string[] }}
 */
export function tableCells(rows, ratios = null) {
  const base = rows.find((r) => r.spec.name === 'node')?.result ?? null;
  const header = ['server', 'req/s', 'vs node:http', 'p50', 'p99', 'p99 vs node:http', 'errors', 'target'];
  /** @type {string[]} */
  const verdicts = [];
  const cells = rows.map(({ spec, result }) => {
    const given = ratios?.get(spec.name);
    const rps = given?.rps ?? (base === null ? null : result.requestsPerSec / base.requestsPerSec);
    const p99 = given?.p99 ?? (base === null ? null : result.p99Ms / base.p99Ms);
    let target = '';
    if (spec.target !== null && rps !== null && p99 !== null) {
      const rpsOk = rps >= spec.target.rps;
      const p99Ok = p99 <= spec.target.p99;
      target = `req/s >= ${spec.target.rps.toFixed(2)}x ${rpsOk ? 'ok' : 'MISSED'}; p99 <= ${spec.target.p99.toFixed(2)}x ${p99Ok ? 'ok' : 'MISSED'}`;
      verdicts.push(`${spec.label}: ${rpsOk && p99Ok ? 'meets its targets' : 'MISSES a target'}`);
    }
    return [
      spec.label,
      Math.round(result.requestsPerSec).toLocaleString('en-US'),
      rps === null ? '-' : `${rps.toFixed(2)}x`,
      `${result.p50Ms.toFixed(2)} ms`,
      `${result.p99Ms.toFixed(2)} ms`,
      p99 === null ? '-' : `${p99.toFixed(2)}x`,
      String(result.errors),
      target,
    ];
  });
  return { header, cells, verdicts };
}

/**
 * Aligned plain-text table.
 * @param {string[]} header
 * @param {string[][]} cells
 */
export function textTable(header, cells) {
  const all = [header, ...cells];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  /** @param {string[]} row */
  const line = (row) =>
    row
      .map((c, i) =>
        i === 0 || i === row.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/**
 * Markdown table.
 * @param {string[]} header
 * @param {string[][]} cells
 */
export function markdownTable(header, cells) {
  const align = header.map((_, i) => (i === 0 || i === header.length - 1 ? ':--' : '--:'));
  return [header, align, ...cells].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

/**
 * The command that made a result, for its `command:` line: `pnpm bench:scgi --rounds 3`.
 * @param {string} script  the package script (`bench:scgi`)
 */
export function commandLine(script) {
  const args = process.argv.slice(2);
  return `pnpm ${script}${args.length > 0 ? ` ${args.join(' ')}` : ''}`;
}

/**
 * Prints the text tables and the notes (one a line, after a blank line each) to stdout.
 * @param {string[]} tables  text tables (and their verdict lines)
 * @param {string[]} notes
 */
export function printTables(tables, notes) {
  process.stdout.write(`\n${tables.join('\n\n')}\n${notes.map((n) => `\n${n}`).join('')}\n`);
}

/**
 * The markdown `## Notes` section of `notes` (with a blank line before it), or `''` for none.
 * @param {string[]} notes
 */
export function notesSection(notes) {
  return notes.length > 0 ? `\n## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}\n` : '';
}

/**
 * Writes `markdown` to bench/results/`fileName` (making the directory) and says so on stdout.
 * @param {string} fileName  `scgi.md`
 * @param {string} markdown
 */
export function writeResults(fileName, markdown) {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(fileName, dir), markdown);
  process.stdout.write(`\nwritten to bench/results/${fileName}\n`);
}
