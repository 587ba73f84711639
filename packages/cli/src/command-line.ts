/**
 * The command-line grammar every `portico` sub-command shares: option specs, parsing with
 * `node:util` `parseArgs` (unknown options, missing values and stray arguments refused with one-line
 * messages), and the option lines of a help text. Kept free of the servers' code: `portico cgi`
 * loads it once per request.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { PorticoError } from '@portico/spec';
import { invalid, quote } from './units.js';

/** How an option's value is read. `flag` takes no value. */
export type OptionKind = 'flag' | 'choice' | 'string' | 'bind' | 'size' | 'duration' | 'count';

/** One command-line option of a `portico` sub-command. */
export interface OptionSpec {
  /** Long name without the dashes (`max-body-size`). */
  readonly name: string;
  /** One-letter alias, if any. */
  readonly short?: string;
  /** How the value is read. */
  readonly kind: OptionKind;
  /** The allowed values of a `choice` option. */
  readonly choices?: readonly string[];
  /** Placeholder for the value in the help text (`BYTES`, `MS`). */
  readonly value?: string;
  /** The default, as the help text shows it. */
  readonly default: string;
  /** One line of help. */
  readonly help: string;
}

/** A parsed command line: the one positional argument and the options given. */
export interface CommandLine {
  /** The positional argument (`<module>[:<export>]`). */
  readonly target: string;
  /** The flags given, by long name. */
  readonly flags: ReadonlySet<string>;
  /** The values of each option given, by long name, in command-line order. */
  readonly values: ReadonlyMap<string, readonly string[]>;
  /** The last value given for `name`, or `undefined`. */
  last(name: string): string | undefined;
  /**
   * The value of the `choice` option `name`: the last one given, else its default.
   * @throws PorticoError `ERR_INVALID_OPTION` when it is not one of the choices
   */
  choice<T extends string>(name: string): T;
}

/** A usage error: `ERR_INVALID_OPTION` with a one-line message. */
export function usage(message: string): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', message);
}

/**
 * Parses `argv` against `options`: exactly one positional argument, every option known, a value
 * for every option that takes one (`--name value` or `--name=value`; a value starting with `--` must
 * be given inline), none for a flag.
 *
 * @param missing - the message when the positional argument is missing
 * @returns the command line, or `'help'` when `--help`/`-h` was given
 * @throws PorticoError `ERR_INVALID_OPTION` naming the unknown option, the missing or unexpected
 *   value, the missing or extra argument
 */
export function parseCommandLine(
  argv: readonly string[],
  options: readonly OptionSpec[],
  missing: string,
): CommandLine | 'help' {
  const specs = new Map(options.map((o) => [o.name, o]));
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const o of options) {
    config[o.name] = {
      type: o.kind === 'flag' ? 'boolean' : 'string',
      ...(o.short === undefined ? {} : { short: o.short }),
    };
  }
  const { tokens } = parseArgs({
    args: [...argv],
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const spec = specs.get(token.name);
    if (spec === undefined) throw usage(`unknown option ${token.rawName}`);
    if (spec.kind === 'flag') {
      if (token.value !== undefined) throw usage(`option --${spec.name} takes no value`);
      if (spec.name === 'help') return 'help';
      flags.add(spec.name);
      continue;
    }
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))) {
      throw usage(`option --${spec.name} needs a value`);
    }
    const list = values.get(spec.name);
    if (list === undefined) values.set(spec.name, [token.value]);
    else list.push(token.value);
  }
  if (positionals.length === 0) throw usage(missing);
  if (positionals.length > 1) throw usage(`unexpected argument ${quote(positionals[1]!)}`);
  const last = (name: string): string | undefined => values.get(name)?.at(-1);
  return {
    target: positionals[0]!,
    flags,
    values,
    last,
    choice<T extends string>(name: string): T {
      const spec = specs.get(name)!;
      const value = last(name) ?? spec.default;
      if (!spec.choices!.includes(value)) throw invalid(name, value, `one of ${spec.choices!.join(', ')}`);
      return value as T;
    },
  };
}

/** The option lines of a help text: names and value, then the help and the default, indented. */
export function optionLines(options: readonly OptionSpec[]): string {
  return options
    .map((o) => {
      const names = o.short === undefined ? `--${o.name}` : `-${o.short}, --${o.name}`;
      const left =
        o.kind === 'flag' ? names : `${names} ${o.choices === undefined ? o.value : o.choices.join('|')}`;
      const dflt = o.kind === 'flag' ? '' : `\n${' '.repeat(8)}default: ${o.default}`;
      return `  ${left}\n${' '.repeat(8)}${o.help}${dflt}`;
    })
    .join('\n');
}
