/**
 * `portico serve <module>[:<export>]`: load the app, serve it on `@portico/http`,
 * `@portico/fastcgi` or `@portico/scgi`, close gracefully on SIGTERM/SIGINT.
 *
 * @module
 */
import { constants } from 'node:os';
import { serve as serveFastCGI } from '@portico/fastcgi';
import { serve as serveHTTP } from '@portico/http';
import { serve as serveSCGI } from '@portico/scgi';
import { createLogger, type Logger } from '@portico/server';
import { isPorticoError, loadApp, PorticoError } from '@portico/spec';
import { openAccessLog } from './access-log.js';
import { serveHelp } from './help.js';
import { parseServeArgs } from './serve-options.js';
import { needsTypeScriptLoader, registerTypeScriptLoader } from './typescript-loader.js';

/**
 * Runs `portico serve` with the arguments after `serve`. Resolves with the exit status once the
 * server has closed after a signal (0), or at once for `--help` (0).
 *
 * @throws PorticoError `ERR_INVALID_OPTION` (bad command line) or `ERR_APP_LOAD` (module, export or
 *   interface not found): the caller exits 2; any other error (lifespan startup failed, address in
 *   use): the caller exits 1.
 */
export async function serveCommand(argv: readonly string[]): Promise<number> {
  const options = parseServeArgs(argv);
  if (options === 'help') {
    process.stdout.write(serveHelp());
    return 0;
  }
  if (needsTypeScriptLoader(options.target)) await registerTypeScriptLoader();
  const loaded = await loadApp(options.target, { interface: options.interface, cwd: process.cwd() });

  const logger = createLogger(options.logLevel);
  const accessLog = await openAccessLog(options.accessLog, logger);
  logger.info(`serving ${options.target} (${loaded.interface} interface)`);
  let server: { close(): Promise<void> };
  try {
    const common = {
      bind: [...options.bind],
      ...(options.socketMode === null ? {} : { socketMode: options.socketMode }),
      ...options.limits,
      lifespan: options.lifespan,
      logger,
      ...(accessLog === null ? {} : { accessLog: accessLog.log }),
    };
    const rootPath = options.rootPath === null ? {} : { rootPath: options.rootPath };
    server =
      options.adapter === 'fastcgi'
        ? await serveFastCGI(loaded.asyncApp, { ...common, ...options.fastcgi, ...rootPath })
        : options.adapter === 'scgi'
          ? await serveSCGI(loaded.asyncApp, { ...common, ...rootPath })
          : await serveHTTP(loaded.asyncApp, { ...common, rootPath: options.rootPath ?? '' });
  } catch (err) {
    await accessLog?.close();
    throw lifespanError('startup', err);
  }
  // serve() has logged `listening address=...` for each bind (the real port when 0 was asked for).

  const signal = await shutdownSignal(logger);
  logger.info(`${signal} received: closing (send it again to exit at once)`);
  try {
    await server.close();
  } catch (err) {
    throw lifespanError('shutdown', err);
  } finally {
    await accessLog?.close();
  }
  return 0;
}

/** Says which lifespan phase failed in front of the app's message; other errors pass unchanged. */
function lifespanError(phase: 'startup' | 'shutdown', err: unknown): unknown {
  if (!isPorticoError(err, 'ERR_LIFESPAN')) return err;
  return new PorticoError('ERR_LIFESPAN', `lifespan ${phase} failed: ${err.message}`, { cause: err });
}

/**
 * Resolves with the name of the first SIGTERM or SIGINT. A second one exits the process at once with
 * the shell's status for death by that signal (128 + its number: 130 for SIGINT, 143 for SIGTERM).
 */
function shutdownSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (!received) {
        received = true;
        resolve(signal);
        return;
      }
      logger.warn(`${signal} received again: exiting without waiting for requests`);
      process.exit(128 + constants.signals[signal]);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
