import { it } from 'vitest';

/**
 * A test named after the spec/servers.md rule(s) it breaks, `<title> (SRV-AREA-N)`; the id is a
 * literal argument so that test/spec-ids.test.ts finds it.
 */
export function rule(
  ids: string | readonly string[],
  title: string,
  fn: () => unknown,
  timeout?: number,
): void {
  it(`${title} (${(typeof ids === 'string' ? [ids] : ids).join(', ')})`, fn, timeout);
}
