/** Node-only: write a Triton model folder atomically, replacing only a folder we wrote. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type OutputKind, writeDirectoryAtomic } from '@sngp/core/node';
import { TRITON_CONFIG_MARKER, tritonModelFiles, type TritonModel, type TritonOptions } from './triton.js';

/** A Triton model folder written by `sngp-export --triton` (its config.pbtxt starts with our marker). */
export const TRITON_MODEL_OUTPUT: OutputKind = {
  noun: 'Triton model folder',
  writer: 'sngp-export --triton',
  directory: true,
  example: 'repository/sngp',
  recognise(path) {
    let text: string;
    try {
      text = readFileSync(join(path, 'config.pbtxt'), 'utf8');
    } catch {
      return 'it has no config.pbtxt';
    }
    return text.startsWith(TRITON_CONFIG_MARKER) ? null : 'its config.pbtxt was not written by sngp-export';
  },
};

/**
 * Write `<repository>/<name>/` (see {@link tritonModelFiles}) atomically: a crash leaves the old
 * folder or the new one, and only a folder of ours is replaced (unless `force`).
 * @param repository - the Triton model repository directory (created if missing).
 * @param bytes - the exported .onnx file.
 * @param options - name, batching and `force`.
 * @returns what was written.
 * @throws SngpError if `<repository>/<name>` holds something that is not ours, or see {@link tritonModelFiles}.
 */
export function writeTritonModel(repository: string, bytes: Uint8Array, options: TritonOptions & { force?: boolean }): TritonModel {
  const model = tritonModelFiles(bytes, options);
  mkdirSync(repository, { recursive: true });
  const prefix = `${options.name}/`;
  writeDirectoryAtomic(
    join(repository, options.name),
    (dir) => {
      for (const [rel, data] of Object.entries(model.files)) {
        const file = join(dir, rel.slice(prefix.length));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, data);
      }
    },
    { kind: TRITON_MODEL_OUTPUT, force: options.force },
  );
  return model;
}
