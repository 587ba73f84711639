// @ts-check
/**
 * The tables of the FastCGI bench: hello throughput with ratios to the four references, the 100 MiB
 * transfers, memory per idle connection. Rendering (text and markdown) is bench/report.js's.
 */

/** The references the Portico FastCGI row is compared with, and the targets (req/s ratios). */
export const REFERENCES = [
  { name: 'php-fpm', column: 'vs PHP-FPM', target: 1.5 },
  { name: 'uwsgi', column: 'vs uWSGI', target: 1.0 },
  { name: 'node-fastcgi', column: 'vs node-fastcgi', target: 8.0 },
  { name: 'proxy', column: 'vs proxy_pass', target: 1.0 },
];

/**
 * The backend the targets are about: its name, and how the verdict lines call it.
 * @typedef {{ name: string, label: string }} Subject
 */

/** @type {Subject} */
const SUBJECT = { name: 'portico', label: 'Portico FastCGI' };

/**
 * The references a subject is compared with: one ratio column each, and the target ratio of req/s
 * (null: a column without a target).
 * @typedef {{ name: string, column: string, target: number | null }} Reference
 */

/**
 * @typedef {object} HelloRun
 * @property {import('../wrk.js').WrkResult} wrk
 * @property {number} backendCpu  CPU time the backend used during the run, per second (1 = one core)
 * @property {number} nginxCpu  the same for nginx (master and worker)
 */

/**
 * @typedef {object} HelloRow
 * @property {import('./backends.js').BackendSpec} spec
 * @property {HelloRun | null} result  null when the backend was not available
 */

/**
 * Cells of the hello table; `verdicts` holds one line per target of the subject's row (Portico
 * FastCGI unless bench/scgi.js names another subject and its references).
 * @param {HelloRow[]} rows
 * @param {{ subject: Subject, references: Reference[] }} [o]
 * @returns {{ header: string[], cells: string[][], verdicts: string[] }}
 */
export function helloCells(rows, o = { subject: SUBJECT, references: REFERENCES }) {
  const { references } = o;
  const rps = new Map(rows.map((r) => [r.spec.name, r.result?.wrk.requestsPerSec ?? null]));
  const header = ['backend (behind nginx)', 'req/s', 'p50', 'p99', 'errors', 'CPU backend', 'CPU nginx'];
  header.push(...references.map((r) => r.column), 'targets');
  const subject = rps.get(o.subject.name);
  const percent = (/** @type {number} */ f) => `${Math.round(f * 100)}%`;
  const cells = rows.map(({ spec, result: run }) => {
    if (run === null)
      return [spec.label, 'not measured', '-', '-', '-', '-', '-', ...references.map(() => '-'), ''];
    const result = run.wrk;
    return [
      spec.label,
      Math.round(result.requestsPerSec).toLocaleString('en-US'),
      `${result.p50Ms.toFixed(2)} ms`,
      `${result.p99Ms.toFixed(2)} ms`,
      String(result.errors),
      percent(run.backendCpu),
      percent(run.nginxCpu),
      ...references.map((ref) => {
        const base = rps.get(ref.name);
        if (ref.name === spec.name) return '1.00x';
        return base === null || base === undefined ? '-' : `${(result.requestsPerSec / base).toFixed(2)}x`;
      }),
      spec.name === o.subject.name ? targetSummary(result.requestsPerSec, rps, references) : '',
    ];
  });
  /** @type {string[]} */
  const verdicts = [];
  if (subject !== undefined) {
    for (const ref of references) {
      if (ref.target === null) continue;
      const base = rps.get(ref.name);
      const label = rows.find((r) => r.spec.name === ref.name)?.spec.label ?? ref.name;
      if (base === undefined) continue; // not selected with --only
      if (subject === null || base === null) {
        verdicts.push(`${o.subject.label} >= ${ref.target.toFixed(1)}x ${label}: not measured`);
        continue;
      }
      const ratio = subject / base;
      const ok = ratio >= ref.target;
      verdicts.push(
        `${o.subject.label} >= ${ref.target.toFixed(1)}x ${label}: ${ratio.toFixed(2)}x ${ok ? 'ok' : 'MISSED'}`,
      );
    }
  }
  return { header, cells, verdicts };
}

/**
 * `PHP-FPM ok, uWSGI ok, node-fastcgi MISSED, proxy_pass ok` for the references that were measured.
 * @param {number} subject  the subject's req/s
 * @param {Map<string, number | null>} rps
 * @param {Reference[]} references
 */
function targetSummary(subject, rps, references) {
  return references
    .flatMap((ref) => {
      const base = rps.get(ref.name);
      if (base === null || base === undefined || ref.target === null) return [];
      return [`${ref.column.replace('vs ', '')} ${subject / base >= ref.target ? 'ok' : 'MISSED'}`];
    })
    .join(', ');
}

/**
 * @typedef {object} TransferRow
 * @property {import('./backends.js').BackendSpec} spec
 * @property {{ downloadMiBs: number, uploadMiBs: number } | null} result
 */

/**
 * Cells of the transfer table.
 * @param {TransferRow[]} rows
 */
export function transferCells(rows) {
  const proxy = rows.find((r) => r.spec.name === 'proxy')?.result ?? null;
  const header = ['backend (behind nginx)', 'download MiB/s', 'upload MiB/s', 'vs proxy_pass (down, up)'];
  const cells = rows.map(({ spec, result }) =>
    result === null
      ? [spec.label, 'not measured', '-', '']
      : [
          spec.label,
          result.downloadMiBs.toFixed(0),
          result.uploadMiBs.toFixed(0),
          proxy === null
            ? '-'
            : `${(result.downloadMiBs / proxy.downloadMiBs).toFixed(2)}x, ${(result.uploadMiBs / proxy.uploadMiBs).toFixed(2)}x`,
        ],
  );
  return { header, cells };
}

/**
 * @typedef {object} MemoryRow
 * @property {import('./backends.js').BackendSpec} spec
 * @property {import('./memory.js').MemoryResult | null} result
 */

/**
 * Cells of the memory table.
 * @param {MemoryRow[]} rows
 */
export function memoryCells(rows) {
  const header = [
    'backend (no nginx)',
    'idle connections',
    'RSS before',
    'RSS after',
    'KiB per connection',
    'kept by',
  ];
  const mib = (/** @type {number} */ kib) => `${(kib / 1024).toFixed(1)} MiB`;
  const cells = rows.map(({ spec, result }) => {
    const keptBy = spec.protocol === 'fastcgi' ? 'FCGI_KEEP_CONN' : 'HTTP/1.1 keep-alive';
    const label = spec.label.replace(/ \(.*\)$/, ''); // no nginx here: not "(proxy_pass)"
    return result === null
      ? [label, 'not measured', '-', '-', '-', keptBy]
      : [
          label,
          result.connections.toLocaleString('en-US'),
          mib(result.beforeKiB),
          mib(result.afterKiB),
          result.perConnectionKiB.toFixed(1),
          keptBy,
        ];
  });
  return { header, cells };
}
