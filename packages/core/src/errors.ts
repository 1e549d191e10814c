/**
 * A problem with the user's input (file, data, option, model). CLIs print its message as one line
 * and exit non-zero; anything else that is thrown is a bug.
 *
 * The message names the problem (file, field, row, expected vs got) and, where possible, what to do
 * next. Recognise it with `instanceof SngpError`, or by `name` when several copies of the package
 * may be loaded (as `runCli` does).
 */
export class SngpError extends Error {
  /** Always `'SngpError'`: lets callers recognise the error without `instanceof`. */
  override readonly name = 'SngpError';
}
