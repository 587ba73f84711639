/**
 * `@portico/cli`: the `portico` command. The module API is for embedding and tests; the command is
 * `bin/portico.js`.
 *
 * @packageDocumentation
 */

export { type AccessLogSink, createAccessLogSink, openAccessLog } from './access-log.js';
export { mainHelp, serveHelp } from './help.js';
export { EXIT_FAILURE, EXIT_USAGE, main } from './main.js';
export { serveCommand } from './serve-command.js';
export {
  type FastCGIOptions,
  LIMIT_KEYS,
  type Limits,
  type OptionKind,
  type OptionSpec,
  parseServeArgs,
  SERVE_OPTIONS,
  type ServeOptions,
} from './serve-options.js';
export { modulePart, needsTypeScriptLoader, registerTypeScriptLoader } from './typescript-loader.js';
export { formatDuration, formatSize, parseCount, parseDuration, parseSize } from './units.js';
export { cliVersion } from './version.js';
