/**
 * How long a fuzz test runs. The environment variable `name` (`FUZZ_RUNS`, `FUZZ_HTTP_RUNS`) sets the
 * number of runs of the test file's main property, `atDefault` when unset (what CI runs); the
 * file's other properties scale with it, and so does the time limit, so that a long local run ends
 * in a verdict, not a timeout.
 */
export interface FuzzBudget {
  /** The runs of a property that makes `atDefault` runs by default (the main one when omitted). */
  runs(atDefault?: number): number;
  /** The time limit of each test, ms: `baseLimit` times the scale, never less than `baseLimit`. */
  readonly limit: number;
}

export function fuzzBudget(name: string, atDefault: number, baseLimit = 60_000): FuzzBudget {
  const scale = Number(process.env[name] ?? atDefault) / atDefault;
  return {
    runs: (runs = atDefault) => Math.max(1, Math.round(runs * scale)),
    limit: baseLimit * Math.max(1, scale),
  };
}
