import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript source (the `@portico/source` export
// condition), so a test run never sees a stale dist/. Tests that spawn a process (the CLI, real
// peers) use the built dist/, which `pnpm test` builds first.
const conditions = ['@portico/source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@portico/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'adapters/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Always write the JSON report too: .ci/run counts passed and failed tests from it.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
  },
});
