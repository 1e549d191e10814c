import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder } from '../src/graph-builder.js';
import { decodeModel, encodeModel, type ModelProto, onnxTypes } from '../src/onnx-schema.js';
import { python, tempDir } from './fixtures.js';

function tinyModel(): ModelProto {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', ['N', 3]);
  const w = g.float('w', [1, 2, 3, 4, 5, 6], [3, 2]);
  const y = g.op('Softmax', [g.matmul(x, w)], { axis: { int: -1 } }, 'y');
  g.output(y, ['N', 2]);
  const s = g.op('ReduceSum', [y, g.int64('axes', [1])], { keepdims: { int: 0 } }, 's');
  g.output(s, ['N']);
  return {
    irVersion: 8,
    producerName: 'test',
    producerVersion: '1',
    graph: g.build('doc'),
    opsetImport: [{ domain: '', version: 17 }],
    metadataProps: [{ key: 'sngp.method', value: 'deterministic' }],
  };
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe('onnx-schema', () => {
  it('round-trips a model through encode/decode', () => {
    const model = tinyModel();
    const back = decodeModel(encodeModel(model));
    expect(back.irVersion).toBe(8);
    expect(back.opsetImport.map((o) => [o.domain ?? '', o.version])).toEqual([['', 17]]); // '' is the proto default, not written
    expect(back.metadataProps).toEqual(model.metadataProps);
    expect(back.graph.node.map((n) => n.opType)).toEqual(['MatMul', 'Softmax', 'ReduceSum']);
    expect(back.graph.node[1].attribute![0]).toMatchObject({ name: 'axis', type: 2, i: -1 });
    expect(back.graph.input[0].type.tensorType.shape.dim).toEqual([{ dimParam: 'N' }, { dimValue: 3 }]);
    const w = back.graph.initializer.find((t) => t.name === 'w')!;
    expect(w.dims).toEqual([3, 2]);
    expect(Array.from(new Float32Array(new Uint8Array(w.rawData!).buffer))).toEqual([1, 2, 3, 4, 5, 6]);
    const axes = back.graph.initializer.find((t) => t.name === 'axes')!;
    expect(axes.dataType).toBe(7);
    // Re-encoding the decoded object gives the same bytes.
    expect(encodeModel(back)).toEqual(encodeModel(model));
  });

  it('uses the field numbers of the ONNX specification (checked against python onnx)', () => {
    const ours: Record<string, Record<string, number>> = {};
    for (const name of ['ModelProto', 'GraphProto', 'NodeProto', 'AttributeProto', 'TensorProto', 'ValueInfoProto', 'TypeProto', 'TypeProto.Tensor', 'TensorShapeProto', 'TensorShapeProto.Dimension', 'OperatorSetIdProto', 'StringStringEntryProto']) {
      const t = onnxTypes.root.lookupType(`onnx.${name}`);
      ours[name] = Object.fromEntries(Object.values(t.fields).map((f) => [snake(f.name), f.id]));
    }
    const r = python(
      `import json, onnx
out = {}
for name in ${JSON.stringify(Object.keys(ours))}:
    t = onnx
    for part in name.split('.'): t = getattr(t, part)
    out[name] = {f.name: f.number for f in t.DESCRIPTOR.fields}
print(json.dumps(out))`,
    );
    expect(r.status, r.stderr).toBe(0);
    const spec = JSON.parse(r.stdout) as Record<string, Record<string, number>>;
    for (const [msg, fields] of Object.entries(ours)) for (const [f, id] of Object.entries(fields)) expect(`${msg}.${f}=${spec[msg][f]}`).toBe(`${msg}.${f}=${id}`);
  });

  it('python onnx parses what we encode and the checker accepts it', () => {
    const path = join(tempDir(), 'tiny.onnx');
    writeFileSync(path, encodeModel(tinyModel()));
    const r = python(
      `import sys, onnx
m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)
print(m.graph.node[0].op_type, list(m.graph.initializer[0].dims), m.metadata_props[0].value)`,
      [path],
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('MatMul [3, 2] deterministic');
  });
});
