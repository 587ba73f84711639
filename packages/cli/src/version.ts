/**
 * The version of `@portico/cli`, read from its package.json.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The `version` field of this package's package.json (src/ and dist/ both sit one level below it). */
export function cliVersion(): string {
  cached ??= (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return cached;
}
