#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine: the system packages the tests use (Chromium for
# browser tests and WebGPU on SwiftShader, python3-onnx as an independent ONNX checker, wrk for
# bench:serve, real data sets from Debian), then the npm workspace. Works offline apart from the
# npm registry and Debian's mirrors.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || need+=(python3-onnx)
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
# Real data, offline: Fashion-MNIST (IDX files) and scikit-learn's bundled tables (wine, breast
# cancer, digits as CSV), for the IDX reader's and the kernel length-scale's tests and bench:real.
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
[ -f /usr/lib/python3/dist-packages/sklearn/datasets/data/wine_data.csv ] || need+=(python3-sklearn)
# Real tables with text columns and empty cells: Palmer penguins (its CSV), carData's Chile survey
# (R data: both bring r-base-core, whose Rscript converts it) and Weka's ARFF examples (Ljubljana
# breast cancer; weka uses the machine's Java 17).
[ -f /usr/lib/R/site-library/palmerpenguins/extdata/penguins.csv ] || need+=(r-cran-palmerpenguins)
[ -f /usr/lib/R/site-library/carData/DESCRIPTION ] || need+=(r-cran-cardata)
[ -f /usr/share/doc/weka/examples/breast-cancer.arff ] || need+=(weka)
# wrk: the load generator of npm run bench:serve (C, so its own cost leaves the cores to the server).
command -v wrk >/dev/null 2>&1 || need+=(wrk)
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
