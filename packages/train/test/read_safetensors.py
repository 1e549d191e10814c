"""Independent check of a weights.safetensors file with nothing but the safetensors layout and numpy:
u64 little-endian header length, JSON header, raw little-endian tensors. Prints, as JSON, every
tensor's dtype and shape, and the exact spectral norm (largest singular value) of each 2-D kernel."""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4"}

with open(sys.argv[1], "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8 : 8 + n])
body = raw[8 + n :]
out = {}
for name, info in header.items():
    if name == "__metadata__":
        continue
    begin, end = info["data_offsets"]
    a = np.frombuffer(body[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    entry = {"dtype": info["dtype"], "shape": list(a.shape), "finite": bool(np.isfinite(a).all())}
    if a.ndim == 2 and name.endswith(".kernel"):
        entry["spectral_norm"] = float(np.linalg.norm(a.astype(np.float64), 2))
    if name == "gp.precision":
        entry["symmetric_max_abs_diff"] = float(np.abs(a - a.T).max())
        entry["min_eigenvalue"] = float(np.linalg.eigvalsh(a).min())
    out[name] = entry
print(json.dumps(out))
