#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine: the system packages the tests use (Chromium for
# browser tests and WebGPU on SwiftShader, python3-onnx as an independent ONNX checker,
# dataset-fashion-mnist as real IDX data), then the npm workspace. Works offline apart from the
# npm registry and Debian's mirrors.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || need+=(python3-onnx)
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
# Fashion-MNIST (IDX files) for the IDX reader's tests on real data.
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${need[@]}"
  else
    echo "setup: please install the Debian packages: ${need[*]} (sudo apt-get install ${need[*]})" >&2
    echo "setup: continuing; tests that need them will fail" >&2
  fi
fi

# onnxruntime-node: skip the CUDA download (see .npmrc).
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-audit --no-fund
# Build every package (cached by turbo) so the CLIs (sngp-train, sngp-export, sngp-eval) run at once.
npx turbo run build --output-logs=errors-only
