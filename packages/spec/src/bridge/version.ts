/**
 * The version of `@portico/spec`, for `SERVER_SOFTWARE`.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * The `version` field of this package's package.json (`src/bridge/` and `dist/bridge/` both sit two
 * levels below it), read once; `"0.0.0"` when the file cannot be read (a bundled copy).
 */
export function packageVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version?: unknown;
      };
      cached = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      cached = '0.0.0';
    }
  }
  return cached;
}
