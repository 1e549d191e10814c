/**
 * A problem with the user's input (file, data, option, model). CLIs print its message as one line
 * and exit non-zero; anything else that is thrown is a bug.
 */
export class SngpError extends Error {
  override readonly name = 'SngpError';
}
