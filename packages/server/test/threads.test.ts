/** `threads` / `--threads`: onnxruntime's intra-op threads per model, the same answers, a bad count refused. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { featuresBody, modelPath, post, startServer } from './fixtures.js';

const CLI = join(import.meta.dirname, '..', 'bin', 'sngp-serve.js');

it('a server with one intra-op thread per model answers as one with onnxruntime\'s default', async () => {
  const rows = [[0.5, 0.25], [2.5, -1.75], [-1, 0.3]];
  const answers: number[][] = [];
  for (const threads of [1, undefined]) {
    const { server, url } = await startServer({ models: [modelPath('sngp')], threads });
    try {
      const r = await post(`${url}/v2/models/sngp/infer`, featuresBody(rows));
      expect(r.status).toBe(200);
      answers.push(r.body.outputs.find((o: { name: string }) => o.name === 'probs').data);
    } finally {
      await server.close();
    }
  }
  for (let i = 0; i < answers[0].length; i++) expect(Math.abs(answers[0][i] - answers[1][i])).toBeLessThan(1e-6);
});

it('--threads 0 is one error line naming the flag', () => {
  const r = spawnSync(process.execPath, [CLI, modelPath('sngp'), '--port', '0', '--threads', '0'], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status).toBe(1);
  expect(r.stderr.trim()).toMatch(/^sngp-serve: error: --threads: expected a whole number >= 1, got "0"$/);
});
