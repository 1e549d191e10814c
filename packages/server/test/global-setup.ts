import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHODS } from '@sngp/core';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Holds {method}.onnx for the four methods. */
    modelsDir: string;
  }
}

const here = dirname(fileURLToPath(import.meta.url));

/** The main job's exported two-moons models (turbo runs @sngp/pipeline#export before these tests). */
export default function setup(project: TestProject): void {
  const modelsDir = resolve(here, '../../../artifacts/models');
  for (const m of METHODS)
    if (!existsSync(join(modelsDir, `${m}.onnx`)))
      throw new Error(`${modelsDir}/${m}.onnx is missing: run \`npx turbo run export --filter=@sngp/pipeline\` first`);
  project.provide('modelsDir', modelsDir);
}
