/**
 * The `portico` command: dispatches to a sub-command and turns errors into an exit status and one
 * line on stderr.
 *
 * @module
 */
import { isPorticoError, thrownMessage } from '@portico/spec';
import { cliVersion } from './version.js';

/** Exit status of a usage error: bad option or value, app module/export missing or not an app. */
export const EXIT_USAGE = 2;
/** Exit status when the server fails: lifespan startup failed, address in use, anything unexpected. */
export const EXIT_FAILURE = 1;

/**
 * Runs `portico` with `argv` (the arguments after the program name) and resolves with the exit
 * status: 0 on success, {@link EXIT_FAILURE} (1) when serving fails, {@link EXIT_USAGE} (2) for a
 * usage error. Errors are written to stderr as one line `portico: <message>`; it never rejects.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // Commands are loaded when run: `portico cgi` starts once per request and must not pay for the
    // servers of `portico serve`.
    switch (command) {
      case 'serve':
        return await (await import('./serve-command.js')).serveCommand(rest);
      case 'cgi':
        return await (await import('./cgi-command.js')).cgiCommand(rest);
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write((await import('./help.js')).mainHelp(cliVersion()));
        return 0;
      case '--version':
      case '-v':
        process.stdout.write(`${cliVersion()}\n`);
        return 0;
      case undefined:
        process.stderr.write((await import('./help.js')).mainHelp(cliVersion()));
        return EXIT_USAGE;
      default:
        return fail(
          EXIT_USAGE,
          command.startsWith('-')
            ? `unknown option ${command}`
            : `unknown command ${JSON.stringify(command)}`,
          'portico --help',
        );
    }
  } catch (err) {
    const usage = isPorticoError(err, 'ERR_INVALID_OPTION') || isPorticoError(err, 'ERR_APP_LOAD');
    const message = thrownMessage(err);
    const hint = isPorticoError(err, 'ERR_INVALID_OPTION') ? `portico ${command} --help` : undefined;
    return fail(usage ? EXIT_USAGE : EXIT_FAILURE, message, hint);
  }
}

/** Writes `portico: <first line of message>` (and a hint for usage errors) and returns `status`. */
function fail(status: number, message: string, hint: string | undefined): number {
  const line = message.split('\n', 1)[0]!.trim();
  process.stderr.write(`portico: ${line}${hint === undefined ? '' : ` (see ${hint})`}\n`);
  return status;
}
