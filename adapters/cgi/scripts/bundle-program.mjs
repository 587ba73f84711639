// Bundles the CGI program entry (dist/program/index.js) into one file, dist/program.bundle.js, the
// `@portico/cgi/program` export. A CGI program starts once per request: loading @portico/spec's and
// @portico/server's entry points (about 80 ES modules: the validator, both bridges, the socket
// servers) costs ~40 ms, a bundle of only what runCGI uses a few. Dynamic imports (the sync bridge,
// the lifespan runner: needed only by some apps) stay imports of the packages, loaded when used.
// Run by `pnpm build` after `tsc -b`.

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Keeps `import('@portico/...')` as a runtime import; static imports are bundled. */
const dynamicImportsExternal = {
  name: 'dynamic-imports-external',
  setup(b) {
    b.onResolve({ filter: /^@portico\// }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
    );
  },
};

await build({
  entryPoints: [`${root}dist/program/index.js`],
  outfile: `${root}dist/program.bundle.js`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Resolve workspace packages to their built dist/ (not the @portico/source TypeScript).
  conditions: ['import', 'default'],
  plugins: [dynamicImportsExternal],
  legalComments: 'none',
  minifySyntax: true,
  minifyWhitespace: true,
  logLevel: 'warning',
});
