/**
 * Node-only: the one error convention of the toolkit's CLIs (sngp-train, sngp-export, sngp-eval).
 *
 * - user error (SngpError, a usage error from commander, or an operating-system error such as a
 *   full disk or a denied permission): one line `sngp-<tool>: error: ...` on stderr, exit code 1;
 * - internal error (anything else: a bug): `sngp-<tool>: internal error: ...` with a hint, exit 2;
 * - stack traces only with `--verbose`.
 *
 * Commander is configured by each CLI to throw instead of exiting (`exitOverride()`) and to print
 * nothing itself (`configureOutput({ outputError: () => {} })`); its errors are recognised by their
 * `commander.*` code, so core does not depend on commander.
 */

/** Exit codes shared by every CLI. */
export const EXIT_CODES = {
  /** Success. */
  ok: 0,
  /** Bad input, bad usage, or the machine said no (permissions, disk space): fix and rerun. */
  userError: 1,
  /** A bug in the toolkit. */
  internalError: 2,
} as const;

/** Help text of the shared `--force` option. */
export const CLI_FORCE_HELP =
  'replace an existing --out even if it is not an output of this tool (never /, the home or current directory, or an input)';

/** Help text of the shared `--verbose` option. */
export const CLI_VERBOSE_HELP = 'print stack traces of errors';

/**
 * How runCli treats a thrown value: `exit` (commander already printed help or the version),
 * `usage` (a command-line mistake), `user` (an SngpError or an operating-system error: exit 1),
 * `internal` (a bug: exit 2).
 */
export type CliErrorKind = 'exit' | 'usage' | 'user' | 'internal';

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  exitCode?: unknown;
  syscall?: unknown;
  stack?: unknown;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Classify a value thrown by a CLI's main function: its kind, the exit code, and the one-line
 * message to print (empty for `exit`: commander already printed help or the version).
 * @param e - whatever was thrown (not necessarily an Error).
 * @returns the classification.
 */
export function classifyCliError(e: unknown): {
  /** How to treat it. */
  kind: CliErrorKind;
  /** The process exit code, one of {@link EXIT_CODES} (0 for `exit`). */
  exitCode: number;
  /** The message on one line (newlines folded into spaces), without the tool prefix. */
  message: string;
} {
  const err = (typeof e === 'object' && e !== null ? e : {}) as ErrorLike;
  const message = typeof err.message === 'string' ? err.message : String(e);
  if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
    const exitCode = typeof err.exitCode === 'number' ? err.exitCode : EXIT_CODES.userError;
    if (exitCode === 0) return { kind: 'exit', exitCode: 0, message: '' };
    return { kind: 'usage', exitCode: EXIT_CODES.userError, message: oneLine(message.replace(/^error: /, '')) };
  }
  if (err.name === 'SngpError') return { kind: 'user', exitCode: EXIT_CODES.userError, message: oneLine(message) };
  // An operating-system error (EACCES, ENOSPC, EROFS, ...) is about the machine, not a bug.
  if (typeof err.code === 'string' && /^E[A-Z0-9]+$/.test(err.code) && typeof err.syscall === 'string')
    return { kind: 'user', exitCode: EXIT_CODES.userError, message: oneLine(message) };
  const name = typeof err.name === 'string' && err.name !== 'Error' ? `${err.name}: ` : '';
  return { kind: 'internal', exitCode: EXIT_CODES.internalError, message: oneLine(name + message) };
}

/** Options of {@link runCli} (the defaults are the real process; tests inject their own). */
export interface CliRunOptions {
  /** Command line (default process.argv); `--verbose` anywhere in it turns on stack traces. */
  argv?: string[];
  /**
   * Where error text goes (default process.stderr).
   * @param text - one or more complete lines, each ending in a newline.
   */
  write?: (text: string) => void;
  /**
   * How to exit after an error (default process.exit).
   * @param code - the exit code, one of {@link EXIT_CODES}.
   */
  exit?: (code: number) => void;
  /** Also report uncaught exceptions and unhandled rejections this way (default true). */
  handleUncaught?: boolean;
}

/**
 * Run a CLI's main function under the shared error convention. Resolves to the exit code: 0 when
 * `main` succeeds (the process then ends on its own, after its output drains), else the error's
 * code, after printing the message and calling `exit`.
 * @param tool - the CLI's name, the prefix of its messages (e.g. "sngp-export").
 * @param main - the CLI's work; receives the full `argv` (node, script, arguments).
 * @param opts - injected process hooks (tests); defaults are the real process.
 * @returns the exit code (never rejects: every error is reported and mapped to a code).
 */
export async function runCli(
  tool: string,
  main: (argv: string[]) => Promise<void> | void,
  opts: CliRunOptions = {},
): Promise<number> {
  const argv = opts.argv ?? process.argv;
  const write = opts.write ?? ((s: string) => void process.stderr.write(s));
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const verbose = argv.slice(2).includes('--verbose');

  const report = (e: unknown): number => {
    const c = classifyCliError(e);
    if (c.kind === 'usage') write(`${tool}: error: ${c.message} (see ${tool} --help)\n`);
    else if (c.kind === 'user') write(`${tool}: error: ${c.message}\n`);
    else if (c.kind === 'internal') {
      write(
        verbose
          ? `${tool}: internal error: ${c.message}\nthis is a bug; please report it with the stack trace below\n`
          : `${tool}: internal error: ${c.message} (this is a bug; rerun with --verbose for the stack trace and report it)\n`,
      );
    }
    if (verbose && c.kind !== 'exit' && c.kind !== 'usage') {
      const stack = (e as ErrorLike | null)?.stack;
      if (typeof stack === 'string') write(stack + '\n');
    }
    exit(c.exitCode);
    return c.exitCode;
  };

  if (opts.handleUncaught !== false) {
    process.on('uncaughtException', report);
    process.on('unhandledRejection', report);
  }
  try {
    await main(argv);
    return EXIT_CODES.ok;
  } catch (e) {
    return report(e);
  }
}
