import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHODS } from '@sngp/core';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Holds {method}.onnx for the four methods. */
    modelsDir: string;
    /** The built browser harness page. */
    pageDir: string;
  }
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The models are the main job's (packages/pipeline, stage "export": 100 epochs, default sizes),
 * trained once per CI run and shared by the suite; turbo runs that stage before these tests.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const modelsDir = resolve(here, '../../../artifacts/models');
  for (const m of METHODS)
    if (!existsSync(join(modelsDir, `${m}.onnx`)))
      throw new Error(`${modelsDir}/${m}.onnx is missing: run \`npx turbo run export --filter=@sngp/pipeline\` first`);
  const pageDir = mkdtempSync(join(tmpdir(), 'sngp-runtime-page-'));
  const { build } = await import('vite');
  await build({ configFile: join(here, 'browser/vite.config.ts'), build: { outDir: pageDir } });
  project.provide('modelsDir', modelsDir);
  project.provide('pageDir', pageDir);
  return () => rmSync(pageDir, { recursive: true, force: true });
}
