/**
 * One run of one program for one request: start it, feed it the body, turn its output into the
 * response, stop it when it runs too long or the client leaves, and reap it (spec/servers.md
 * SRV-CGI-7 to SRV-CGI-9).
 *
 * @module
 */
import type { Readable } from 'node:stream';
import type { Logger } from '@portico/server';
import { isBodylessStatus } from '@portico/server';
import type { HTTPScope, Send } from '@portico/spec';
import { isPorticoError, PorticoError } from '@portico/spec';
import { programEnvironment } from './environment.js';
import type { ProgramTarget } from './map-request.js';
import type { ResolvedHostOptions } from './options.js';
import { reply } from './replies.js';
import type { RequestBody } from './request-body.js';
import { badResponse, type CGIHead, CGIHeadParser } from './response-head.js';
import { type RunningProgram, startProgram } from './spawn-program.js';

/** What a run ended with: the response was given (or the client left), or a local redirect. */
export type RunOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'local-redirect'; readonly location: string };

/** What every run of one host shares. */
export interface HostContext {
  readonly options: ResolvedHostOptions;
  /** The runs in progress, for shutdown. */
  readonly live: Set<Run>;
}

const DONE: RunOutcome = Object.freeze({ kind: 'done' });
const EMPTY = new Uint8Array(0);
const MAX_LOG_LINE = 8192;

/**
 * Logs a program's standard error, one `warn` per line (long lines split).
 *
 * @returns a promise that settles when the stream ended or closed: the last line is logged by then
 */
function logLines(stream: Readable, logger: Logger, fields: Record<string, unknown>): Promise<void> {
  let pending = '';
  const emit = (line: string) => {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    logger.warn(`cgiHost: program stderr: ${text}`, fields);
  };
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    pending += text;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      emit(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
    while (pending.length > MAX_LOG_LINE) {
      emit(pending.slice(0, MAX_LOG_LINE));
      pending = pending.slice(MAX_LOG_LINE);
    }
  });
  return new Promise<void>((resolve) => {
    stream.once('end', () => {
      if (pending !== '') emit(pending);
      pending = '';
      resolve();
    });
    stream.once('close', resolve);
  });
}

/**
 * Waits for `done`, at most `ms`: a program's standard error can still hold lines when it exits
 * (the pipe is read after the exit is seen), but a process it left behind may keep the pipe open.
 */
async function within(done: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * Runs the program `target` for the request in `scope` and answers through `send`.
 *
 * @param withBody - whether the program gets the request body (not after a local redirect)
 * @returns `done`, or the local redirect the program asked for (nothing was sent then)
 * @throws the error that cut a response short after it began (a timeout, a body shorter than the
 *   program's Content-Length), so the server closes the connection; `send()` failures other than a
 *   client that left
 */
export async function runProgram(
  ctx: HostContext,
  scope: HTTPScope,
  target: ProgramTarget,
  body: RequestBody,
  send: Send,
  withBody: boolean,
): Promise<RunOutcome> {
  const { options } = ctx;
  const logger = options.logger;
  const fields = { program: scope.rootPath + target.script };
  if (body.gone) return DONE;
  const env = programEnvironment(scope, target, options);
  for (const [name, value] of env) {
    if (value.includes(0)) {
      logger.warn('cgiHost: refused a request: NUL in a variable', { ...fields, variable: name });
      await reply(send, 400);
      return DONE;
    }
  }
  const program = startProgram(target.file, env, options);
  if (program === null) {
    await reply(send, 500);
    return DONE;
  }
  const child = program.child;
  if (child.pid === undefined) {
    const exit = await program.exited;
    logger.error('cgiHost: cannot start program', { ...fields, error: exit.error });
    await reply(send, 500);
    return DONE;
  }
  const run = new Run(program, options, fields);
  ctx.live.add(run);
  const stderrDone = logLines(child.stderr!, logger, { ...fields, pid: child.pid });
  body.onGone = () => {
    if (!run.complete) run.stop('disconnect');
  };
  body.attach(withBody ? child.stdin! : null);
  if (!withBody) child.stdin!.end();
  const timer =
    options.timeout > 0
      ? setTimeout(() => {
          logger.warn(`cgiHost: program still running after ${options.timeout} ms: stopped`, {
            ...fields,
            rule: 'SRV-CGI-8',
          });
          run.stop('timeout');
        }, options.timeout)
      : null;
  try {
    let outcome: RunOutcome;
    try {
      outcome = await run.respond(scope, send);
    } catch (err) {
      if (!isPorticoError(err, 'ERR_CLIENT_DISCONNECTED')) throw err;
      run.stop('disconnect');
      outcome = DONE;
    }
    run.complete = true;
    const exit = await program.exited;
    if (run.stopped === null && exit.code !== 0)
      logger.warn('cgiHost: program failed', { ...fields, status: exit.code, signal: exit.signal });
    return outcome;
  } finally {
    run.complete = true;
    body.onGone = null;
    if (!program.hasExited) program.stop();
    await program.exited;
    if (timer !== null) clearTimeout(timer);
    // Every line the program wrote to stderr is logged before the run counts as over.
    await within(stderrDone, options.killGrace);
    ctx.live.delete(run);
  }
}

type StopReason = 'timeout' | 'disconnect' | 'bad-response' | 'shutdown';

/** The state of one run: why it was stopped, and the response it is giving. */
export class Run {
  readonly #program: RunningProgram;
  readonly #options: ResolvedHostOptions;
  readonly #fields: Record<string, unknown>;
  /** Why the program was stopped, if it was. */
  stopped: StopReason | null = null;
  /** Whether the response is complete: a client that leaves now changes nothing. */
  complete = false;

  constructor(program: RunningProgram, options: ResolvedHostOptions, fields: Record<string, unknown>) {
    this.#program = program;
    this.#options = options;
    this.#fields = fields;
  }

  /** Stops the program's process group and stops reading its output. */
  stop(reason: StopReason): void {
    this.stopped ??= reason;
    this.#program.stop();
    this.#program.child.stdout?.destroy();
  }

  /** Settles once the program exited and was reaped. */
  get exited(): Promise<unknown> {
    return this.#program.exited;
  }

  /** Reads the head, then answers: the response streamed from the output, or a local redirect. */
  async respond(scope: HTTPScope, send: Send): Promise<RunOutcome> {
    const chunks = this.#program.child.stdout![Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    const next = async (): Promise<Uint8Array | null> => {
      if (this.stopped !== null) return null;
      try {
        const r = await chunks.next();
        return r.done === true || this.stopped !== null ? null : r.value;
      } catch (err) {
        if (this.stopped !== null) return null;
        throw err;
      }
    };
    const parser = new CGIHeadParser(this.#options.maxHeaderSize);
    let parsed: { head: CGIHead; rest: Uint8Array } | null = null;
    try {
      while (parsed === null) {
        const chunk = await next();
        if (this.stopped !== null) break;
        parsed = chunk === null ? parser.end() : parser.push(chunk);
      }
    } catch (err) {
      if (!isPorticoError(err, 'ERR_CGI_BAD_RESPONSE')) throw err;
      this.#options.logger.error(`cgiHost: bad response from program: ${err.message}`, {
        ...this.#fields,
        rule: 'SRV-CGI-8',
      });
      this.stop('bad-response');
      await reply(send, 502);
      return DONE;
    }
    if (parsed === null) {
      if (this.stopped === 'timeout' || this.stopped === 'shutdown')
        await reply(send, this.stopped === 'timeout' ? 504 : 503);
      return DONE;
    }
    const { head, rest } = parsed;
    if (head.kind === 'local-redirect') {
      // RFC 3875 section 6.2.2: no body may follow; whatever does is dropped.
      while ((await next()) !== null) {}
      if (this.stopped === 'timeout' || this.stopped === 'shutdown')
        await reply(send, this.stopped === 'timeout' ? 504 : 503);
      return this.stopped === null ? head : DONE;
    }
    await this.#stream(scope, head, rest, next, send);
    return DONE;
  }

  async #stream(
    scope: HTTPScope,
    head: Extract<CGIHead, { kind: 'document' }>,
    rest: Uint8Array,
    next: () => Promise<Uint8Array | null>,
    send: Send,
  ): Promise<void> {
    const discard = scope.method === 'HEAD' || isBodylessStatus(head.status);
    let remaining = head.contentLength;
    await send({ type: 'http.response.start', status: head.status, headers: head.headers });
    let overrun = false;
    for (let chunk: Uint8Array | null = rest; chunk !== null; chunk = await next()) {
      if (discard || chunk.length === 0) continue;
      let piece = chunk;
      if (remaining >= 0 && piece.length > remaining) {
        // The response says how long it is: bytes past that are not sent (SRV-RESP-2 would refuse them).
        if (!overrun)
          this.#options.logger.warn(
            'cgiHost: program wrote more than its Content-Length; dropped',
            this.#fields,
          );
        overrun = true;
        piece = piece.subarray(0, remaining);
      }
      if (remaining >= 0) remaining -= piece.length;
      if (piece.length > 0) await send({ type: 'http.response.body', body: piece, moreBody: true });
    }
    if (this.stopped === 'disconnect') return;
    if (this.stopped === 'timeout') {
      throw new PorticoError('ERR_TIMEOUT', 'CGI program timed out after its response began (SRV-CGI-8)', {
        rule: 'SRV-CGI-8',
      });
    }
    if (this.stopped === 'shutdown')
      throw new PorticoError('ERR_CGI_STOPPED', 'CGI program stopped at shutdown');
    if (!discard && remaining > 0)
      throw badResponse(`program ended ${remaining} bytes short of its Content-Length`);
    // Complete from here on: the client's http.disconnect that may follow the last event must not
    // stop a program that is still writing its log or cleaning up after its response.
    this.complete = true;
    await send({ type: 'http.response.body', body: EMPTY, moreBody: false });
  }
}
