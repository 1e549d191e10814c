"""Independent checks of exported models with Debian's python3-onnx: the full checker, and shape
inference to confirm no intermediate value is N x N (the batch covariance must never be formed).
Prints one JSON line per model."""
import json, sys
import onnx

for path in sys.argv[1:]:
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    batch_dims = 0
    typed = {vi.name for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
    untyped = [o for n in m.graph.node for o in n.output if o not in typed]
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        dims = [d.dim_param for d in vi.type.tensor_type.shape.dim]
        batch_dims = max(batch_dims, sum(1 for d in dims if d == 'N'))
    print(json.dumps({
        'path': path,
        'ir_version': m.ir_version,
        'opset': [o.version for o in m.opset_import if o.domain in ('', 'ai.onnx')],
        'ops': sorted({n.op_type for n in m.graph.node}),
        'max_batch_dims': batch_dims,
        'untyped_values': untyped,
        'metadata': {p.key: p.value for p in m.metadata_props},
    }))
