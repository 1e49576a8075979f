#!/usr/bin/env bash
# Prompt and decode speed of prose-llama-35m (../shared/models) at f16, q8_0 and q4_0 with 1 and
# 2 threads, each against the read bandwidth measured in the same run (see `launcher MODEL speed`).
#   examples/bench/prose-llama-speed.sh [MODELS_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
models=${1:-../shared/models/prose-llama-35m}
[ -d "$models" ] || { echo "no $models: the prose-llama-35m GGUFs are needed" >&2; exit 2; }
for format in f16 q8_0 q4_0; do
  for threads in 1 2; do
    echo "== $format, $threads thread(s)"
    ./launcher "$models/prose-llama-35m-$format.gguf" speed --threads "$threads" --prompt-tokens 128 --gen-tokens 64 --repeat 5 \
      2>&1 | grep -v '^WARNING: Using incubator'
  done
done
