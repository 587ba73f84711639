// @ts-check
/**
 * The results table: printed to the terminal and written as markdown.
 */

/**
 * @typedef {object} Row
 * @property {import('./servers.js').ServerSpec} spec
 * @property {import('./wrk.js').WrkResult} result
 */

/**
 * The table's rows as cells; ratios are to the `node` row (bare node:http).
 * @param {Row[]} rows
 * @returns {{ header: string[], cells: string[][], verdicts: string[] }}
 */
export function tableCells(rows) {
  const base = rows.find((r) => r.spec.name === 'node')?.result ?? null;
  const header = ['server', 'req/s', 'vs node:http', 'p50', 'p99', 'p99 vs node:http', 'errors', 'target'];
  /** @type {string[]} */
  const verdicts = [];
  const cells = rows.map(({ spec, result }) => {
    const rps = base === null ? null : result.requestsPerSec / base.requestsPerSec;
    const p99 = base === null ? null : result.p99Ms / base.p99Ms;
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
