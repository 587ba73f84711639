// Builds the CGI program entry's script and its V8 code cache (see src/program-entry.ts): run by
// `pnpm build` after `tsc -b`.
//
// 1. dist/program.script.cjs: dist/program/index.js and what it imports from @portico/spec and
//    @portico/server, bundled by esbuild into one CommonJS script (tree-shaken to what runCGI uses).
//    Its dynamic imports (the sync bridge, the lifespan runner, node:fs/promises: needed only by
//    some apps) stay imports, made through the `__import` function the entry passes in.
// 2. dist/program.script.cache: a fresh Node process loads the entry, answers a GET (meta-variables
//    from its environment, as a web server runs it) and a POST (body from a file), and writes V8's
//    code cache of the script, compiled functions included. Made here, so it matches this Node.

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const script = `${root}dist/program.script.cjs`;
const cache = `${root}dist/program.script.cache`;

/** Keeps `import('@portico/...')` as a runtime import; static imports are bundled. */
const dynamicImportsExternal = {
  name: 'dynamic-imports-external',
  setup(b) {
    b.onResolve({ filter: /^@portico\// }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
    );
  },
};

// A cache left from an earlier build must never meet the new script.
rmSync(cache, { force: true });
// The ES module bundle earlier builds made (the entry before this one): dist/ is published.
rmSync(`${root}dist/program.bundle.js`, { force: true });

await build({
  entryPoints: [`${root}dist/program/index.js`],
  outfile: script,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Resolve workspace packages to their built dist/ (not the @portico/source TypeScript).
  conditions: ['import', 'default'],
  plugins: [dynamicImportsExternal],
  // Keep `import()` as it is (not a require() wrapper), to be renamed below.
  supported: { 'dynamic-import': true },
  // @portico/spec's module loader reads import.meta; esbuild warns while it parses it, though that
  // code is tree-shaken away (checked below: a script that used it would get an empty object).
  logOverride: { 'empty-import-meta': 'silent' },
  legalComments: 'none',
  minifySyntax: true,
  minifyWhitespace: true,
  logLevel: 'warning',
});

// The script runs as a classic script (vm.Script), where `import()` has no module to resolve from:
// its dynamic imports become calls of the `__import` the entry passes in. Exactly the three known
// ones, or the build fails rather than ship a script that throws later.
const text = readFileSync(script, 'utf8');
if (text.includes('import_meta')) throw new Error('bundle-program: the program script uses import.meta');
const imports = text.match(/\bimport\("[^"]*"\)/g) ?? [];
const expected = ['import("@portico/server")', 'import("@portico/spec")', 'import("node:fs/promises")'];
if (JSON.stringify([...imports].sort()) !== JSON.stringify(expected)) {
  throw new Error(
    `bundle-program: expected the dynamic imports ${expected.join(', ')}, found ${imports.join(', ')}`,
  );
}
// The entry gives the script a `require` of exactly these built-ins (src/program-entry.ts).
const required = [...new Set(text.match(/\brequire\("[^"]*"\)/g) ?? [])].sort();
if (JSON.stringify(required) !== JSON.stringify(['require("node:fs")', 'require("node:path")'])) {
  throw new Error(
    `bundle-program: the script requires ${required.join(', ')}; the entry gives node:fs and node:path`,
  );
}
writeFileSync(script, text.replace(/\bimport\("/g, '__import("'));

const warm = spawnSync(
  process.execPath,
  [fileURLToPath(new URL('./warm-program.mjs', import.meta.url)), cache],
  {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GATEWAY_INTERFACE: 'CGI/1.1',
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '/cgi-bin/hello',
      PATH_INFO: '/warm',
      QUERY_STRING: 'a=1',
      SERVER_NAME: 'localhost',
      SERVER_PORT: '80',
      SERVER_PROTOCOL: 'HTTP/1.1',
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_PORT: '40000',
      HTTP_HOST: 'localhost',
      HTTP_USER_AGENT: 'bundle-program',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'latin1',
  },
);
if (warm.status !== 0 || !readFileSync(cache).length) {
  throw new Error(
    `bundle-program: making the code cache failed (${warm.status}):\n${warm.stdout}${warm.stderr}`,
  );
}
