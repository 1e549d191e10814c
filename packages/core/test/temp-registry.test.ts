/**
 * The live-temp registry in a real process: SIGTERM / SIGINT remove the temporary paths and exit
 * 128 + signal; a host application's own handler keeps control of the exit. Runs the built
 * dist/node.js in a child process (build first: npm run build -w @sngp/core).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../dist/node.js', import.meta.url));

const CHILD = `
import { mkdirSync, writeFileSync } from 'node:fs';
import { trackTemp } from ${JSON.stringify(pathToFileURL(DIST).href)};
const tmp = process.env.SNGP_TEST_TMP;
mkdirSync(tmp);
writeFileSync(tmp + '/weights.safetensors', 'half written');
trackTemp(tmp);
if (process.env.SNGP_TEST_HOST_HANDLER) process.on('SIGTERM', () => setTimeout(() => process.exit(7), 20));
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;

function runUntilSignal(signal: NodeJS.Signals, env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) child.kill(signal);
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => resolvePromise({ code, signal: sig }));
  });
}

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`build first: ${DIST} is missing (npm run build -w @sngp/core)`);
});

describe('temp registry signal handling', () => {
  const parent = mkdtempSync(join(tmpdir(), 'sngp-temps-'));

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s removes the live temporary directory and exits %i', async (signal, code) => {
    const tmp = join(parent, `ck.sngp-tmp-${signal}`);
    const r = await runUntilSignal(signal, { SNGP_TEST_TMP: tmp });
    expect(r).toEqual({ code, signal: null });
    expect(existsSync(tmp)).toBe(false);
  });

  it("with the host's own SIGTERM handler: removes the temporary directory, the host decides the exit", async () => {
    const tmp = join(parent, 'ck.sngp-tmp-host');
    const r = await runUntilSignal('SIGTERM', { SNGP_TEST_TMP: tmp, SNGP_TEST_HOST_HANDLER: '1' });
    expect(r).toEqual({ code: 7, signal: null });
    expect(existsSync(tmp)).toBe(false);
  });
});
