/** runCli: one error convention for every CLI (exit codes, one-line messages, stacks only with --verbose). */
import { describe, expect, it } from 'vitest';
import { SngpError } from '../src/index.js';
import { EXIT_CODES, runCli } from '../src/node.js';

async function run(thrown: unknown, extraArgs: string[] = []): Promise<{ code: number; exitCalls: number[]; text: string }> {
  let text = '';
  const exitCalls: number[] = [];
  const code = await runCli(
    'sngp-test',
    () => {
      if (thrown !== undefined) throw thrown;
    },
    { argv: ['node', 'cli.js', ...extraArgs], write: (s) => (text += s), exit: (c) => exitCalls.push(c), handleUncaught: false },
  );
  return { code, exitCalls, text };
}

/** What commander throws with exitOverride() (its CommanderError shape). */
function commanderError(code: string, exitCode: number, message: string): Error {
  return Object.assign(new Error(message), { code, exitCode });
}

describe('runCli', () => {
  it('success: exit code 0, nothing printed, exit not called', async () => {
    expect(await run(undefined)).toEqual({ code: 0, exitCalls: [], text: '' });
  });

  it('SngpError: one line "sngp-test: error: ...", exit 1, no stack', async () => {
    const r = await run(new SngpError('data.csv: row 3 has 2 fields, expected 3'));
    expect(r.code).toBe(EXIT_CODES.userError);
    expect(r.exitCalls).toEqual([1]);
    expect(r.text).toBe('sngp-test: error: data.csv: row 3 has 2 fields, expected 3\n');
  });

  it('a multi-line message still prints as one line', async () => {
    const r = await run(new SngpError('first\n  second'));
    expect(r.text).toBe('sngp-test: error: first second\n');
  });

  it('commander usage errors: one line with a --help hint, exit 1', async () => {
    const r = await run(commanderError('commander.unknownOption', 1, "error: unknown option '--bogus'"));
    expect(r.exitCalls).toEqual([1]);
    expect(r.text).toBe("sngp-test: error: unknown option '--bogus' (see sngp-test --help)\n");
  });

  it('--help and --version (commander exit code 0): exit 0, nothing added', async () => {
    const r = await run(commanderError('commander.helpDisplayed', 0, '(outputHelp)'));
    expect(r).toEqual({ code: 0, exitCalls: [0], text: '' });
  });

  it('operating-system errors (EACCES, ENOSPC) are the machine, not a bug: exit 1', async () => {
    const e = Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: 'EACCES', syscall: 'open', errno: -13 });
    const r = await run(e);
    expect(r.exitCalls).toEqual([1]);
    expect(r.text).toBe("sngp-test: error: EACCES: permission denied, open '/x'\n");
  });

  it('anything else is a bug: exit 2, the message and a hint, no stack trace', async () => {
    const r = await run(new TypeError("Cannot read properties of undefined (reading 'shape')"));
    expect(r.code).toBe(EXIT_CODES.internalError);
    expect(r.exitCalls).toEqual([2]);
    const lines = r.text.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      "sngp-test: internal error: TypeError: Cannot read properties of undefined (reading 'shape') (this is a bug; rerun with --verbose for the stack trace and report it)",
    );
    expect(r.text).not.toMatch(/\n\s+at /);
  });

  it('--verbose prints the stack trace (internal and user errors)', async () => {
    const internal = await run(new RangeError('boom'), ['--out', 'x', '--verbose']);
    expect(internal.exitCalls).toEqual([2]);
    expect(internal.text).toMatch(/^sngp-test: internal error: RangeError: boom\n/);
    expect(internal.text).toMatch(/\n\s+at /);
    const user = await run(new SngpError('bad'), ['--verbose']);
    expect(user.exitCalls).toEqual([1]);
    expect(user.text.split('\n')[0]).toBe('sngp-test: error: bad');
    expect(user.text).toMatch(/\n\s+at /);
  });

  it('a thrown non-Error value is an internal error too', async () => {
    const r = await run('a string');
    expect(r.exitCalls).toEqual([2]);
    expect(r.text).toMatch(/^sngp-test: internal error: a string \(this is a bug/);
  });
});
