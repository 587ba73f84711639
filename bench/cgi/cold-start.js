#!/usr/bin/env node
// @ts-check
/**
 * `node bench/cgi/cold-start.js`: the cold start of one hello CGI request through Portico, set
 * against bare `node -e ''`, and where the time goes. Each command runs directly (no web server)
 * with the meta-variables of `GET /cgi-bin/hello`, stdin from /dev/null and stdout a pipe; commands
 * are interleaved run by run so that background load spreads over all of them, and the median of N
 * runs (after two untimed runs each, to fill the page cache) is reported, with the fastest.
 *
 * Rows:
 * - `node -e ''`: the floor of any Node program;
 * - a Node ES module that writes the hello response with `fs.writeSync`, no adapter: the floor of a
 *   Node CGI script (an ES module costs the ESM loader on top of `node -e ''`);
 * - `runCGI` in a `#!/usr/bin/env node` script (bench/apps/hello-cgi.js) and `portico cgi` (the
 *   CLI), both with the hello app of bench/apps/hello-async.js;
 * - what loading each package costs by itself (`import` of its built entry, nothing run);
 * - the runCGI script bundled into one file by esbuild (tree-shaken: only what an async app needs;
 *   the sync bridge and lifespan stay lazy imports), written to bench/results/: what the adapter
 *   would cost if it shipped a bundled entry. esbuild is the one tsx (a dependency of the CLI) brings;
 *   without it the row is left out.
 *
 * The issue's target: the adapter's own share, runCGI's median beyond `node -e ''`, under 10 ms.
 * Needs the built packages (`pnpm build`). Prints a text table; `--markdown` prints markdown.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = process.execPath;
const TARGET_MS = 10;
const HELLO = /\r\n\r\nHello, world!\n$/;

const USAGE = `Usage: node bench/cgi/cold-start.js [--runs N] [--markdown]

  --runs N      timed runs per command (default: 40)
  --markdown    print the table as markdown
  -h, --help    show this help
`;

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    markdown: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

/**
 * @typedef {object} Command
 * @property {string} name
 * @property {string} label
 * @property {string[]} args  arguments of `node`
 * @property {boolean} hello  stdout must be the hello CGI response
 */

/** @type {Command[]} */
const COMMANDS = [
  { name: 'node', label: "node -e ''", args: ['-e', ''], hello: false },
  {
    name: 'esm',
    label: 'hello as a bare ES module (fs.writeSync, no adapter)',
    args: [`${ROOT}bench/apps/hello-cgi-esm.mjs`],
    hello: true,
  },
  {
    name: 'runcgi',
    label: 'runCGI script (bench/apps/hello-cgi.js)',
    args: [`${ROOT}bench/apps/hello-cgi.js`],
    hello: true,
  },
  {
    name: 'cli',
    label: 'portico cgi bench/apps/hello-async.js',
    args: [`${ROOT}packages/cli/bin/portico.js`, 'cgi', `${ROOT}bench/apps/hello-async.js`],
    hello: true,
  },
  ...['spec', 'server', 'cgi'].map((name) => ({
    name: `load-${name}`,
    label: `load @portico/${name} only`,
    args: [
      '--input-type=module',
      '-e',
      `import ${JSON.stringify(`${ROOT}${name === 'cgi' ? 'adapters' : 'packages'}/${name}/dist/index.js`)}`,
    ],
    hello: false,
  })),
];

/**
 * Bundles the runCGI hello script with esbuild into bench/results/hello-cgi.bundle.mjs; returns the
 * file, or why it could not.
 * @returns {Promise<{ file: string } | { problem: string }>}
 */
async function bundleHello() {
  /** @type {any} */
  let esbuild;
  try {
    const cli = createRequire(`${ROOT}packages/cli/package.json`);
    esbuild = createRequire(cli.resolve('tsx/package.json'))('esbuild');
  } catch (err) {
    return { problem: `esbuild not found through tsx: ${err instanceof Error ? err.message : String(err)}` };
  }
  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  const file = `${ROOT}bench/results/hello-cgi.bundle.mjs`;
  await esbuild.build({
    stdin: {
      contents:
        "import { runCGI } from '@portico/cgi';\nimport hello from './hello-async.js';\nprocess.exit(await runCGI(hello));\n",
      resolveDir: `${ROOT}bench/apps`,
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: file,
    logLevel: 'error',
    plugins: [
      {
        name: 'lazy-imports-stay-lazy',
        /** @param {any} build */
        setup(build) {
          // import('@portico/spec') for the sync bridge, import('@portico/server') for lifespan:
          // loaded from the packages at run time, only when needed.
          build.onResolve({ filter: /^@portico\// }, (/** @type {any} */ args) =>
            args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
          );
        },
      },
    ],
  });
  return { file };
}

/** The meta-variables of `GET /cgi-bin/hello` as Apache sets them (RFC 3875 section 4.1). */
const ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  GATEWAY_INTERFACE: 'CGI/1.1',
  SERVER_SOFTWARE: 'Apache',
  SERVER_NAME: '127.0.0.1',
  SERVER_PORT: '80',
  SERVER_PROTOCOL: 'HTTP/1.1',
  REQUEST_METHOD: 'GET',
  REQUEST_URI: '/cgi-bin/hello',
  SCRIPT_NAME: '/cgi-bin/hello',
  QUERY_STRING: '',
  REMOTE_ADDR: '127.0.0.1',
  REMOTE_PORT: '40000',
  HTTP_HOST: '127.0.0.1',
};

/**
 * Runs one command to its end and returns its wall time in ms.
 * @param {Command} command
 * @returns {number}
 */
function runOnce(command) {
  const start = process.hrtime.bigint();
  const r = spawnSync(NODE, command.args, {
    cwd: ROOT,
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'latin1',
    timeout: 30_000,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error !== undefined) throw new Error(`${command.label}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(
      `${command.label}: exit ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n')[0]}`,
    );
  }
  if (command.hello && !HELLO.test(r.stdout ?? '')) {
    throw new Error(`${command.label}: unexpected output ${JSON.stringify((r.stdout ?? '').slice(0, 120))}`);
  }
  return ms;
}

/** @param {number[]} list  sorted */
function median(list) {
  const mid = Math.floor(list.length / 2);
  return list.length % 2 === 1 ? (list[mid] ?? 0) : ((list[mid - 1] ?? 0) + (list[mid] ?? 0)) / 2;
}

/**
 * @param {string[]} header
 * @param {string[][]} rows
 * @param {boolean} markdown
 */
function table(header, rows, markdown) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (/** @type {string[]} */ r) =>
    markdown
      ? `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
      : r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = [line(header)];
  if (markdown)
    out.push(`| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`);
  for (const r of rows) out.push(line(r));
  return `${out.join('\n')}\n`;
}

async function main() {
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(runs) || runs < 1)
    throw new Error(`--runs: expected a positive integer, got ${values.runs}`);
  const bundle = await bundleHello();
  if ('file' in bundle) {
    COMMANDS.splice(3, 0, {
      name: 'bundle',
      label: 'runCGI script bundled by esbuild (one file)',
      args: [bundle.file],
      hello: true,
    });
  }
  /** @type {Map<string, number[]>} */
  const times = new Map(COMMANDS.map((c) => [c.name, []]));
  for (let i = 0; i < runs + 2; i++) {
    for (const command of COMMANDS) {
      const ms = runOnce(command);
      if (i >= 2) times.get(command.name)?.push(ms);
    }
  }
  /** @type {Map<string, { median: number, min: number }>} */
  const stats = new Map();
  for (const [name, list] of times) {
    list.sort((a, b) => a - b);
    stats.set(name, { median: median(list), min: list[0] ?? 0 });
  }
  const bare = stats.get('node')?.median ?? 0;
  const ms = (/** @type {number} */ v) => `${v.toFixed(1)} ms`;
  const rows = COMMANDS.map((c) => {
    const s = stats.get(c.name) ?? { median: 0, min: 0 };
    const beyond = s.median - bare;
    return [
      c.label,
      ms(s.median),
      ms(s.min),
      c.name === 'node' ? '-' : `${beyond >= 0 ? '+' : ''}${ms(beyond)}`,
    ];
  });
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `CGI cold start, ${runs} runs per command, interleaved; node ${process.version}; ${cpu}\n\n`,
  );
  process.stdout.write(table(['command', 'median', 'fastest', "beyond node -e ''"], rows, values.markdown));
  const share = (stats.get('runcgi')?.median ?? 0) - bare;
  const cli = (stats.get('cli')?.median ?? 0) - bare;
  process.stdout.write(
    `\nadapter's own share (runCGI script beyond node -e ''): ${ms(share)}, target < ${TARGET_MS} ms: ${share < TARGET_MS ? 'ok' : 'MISSED'}\n` +
      `portico cgi beyond node -e '': ${ms(cli)}\n`,
  );
  process.stdout.write(`@portico/cgi/program's V8 code cache: ${codeCacheStatus()}\n`);
  if ('file' in bundle) {
    const bundled = (stats.get('bundle')?.median ?? 0) - bare;
    process.stdout.write(`runCGI bundled beyond node -e '': ${ms(bundled)}\n`);
  } else process.stdout.write(`(no bundled row: ${bundle.problem})\n`);
}

/**
 * Whether a fresh process compiles `@portico/cgi/program` with the build's code cache (`used`), or
 * V8 refused it (`rejected`: made by another Node), or there is none: the runCGI rows depend on it.
 */
function codeCacheStatus() {
  const entry = fileURLToPath(new URL('../../adapters/cgi/dist/program-entry.js', import.meta.url));
  const code = `const m = await import(${JSON.stringify(entry)}); console.log(m.codeCacheStatus());`;
  const r = spawnSync(NODE, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : `unknown (${r.stderr.trim().split('\n')[0]})`;
}

if (values.help) process.stdout.write(USAGE);
else {
  try {
    await main();
  } catch (err) {
    process.stderr.write(`cold-start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
