#!/usr/bin/env bash
# Decode speed of prose-llama-35m q8_0 with its matrices in GGUF's layout (-Disthmus.repack=false)
# against the repacked groups of four rows that models load by default, in alternating runs of
# `launcher MODEL speed` (each with its own bandwidth measurements), so both see the same host.
#   examples/bench/q8_0-layout-ab.sh [ROUNDS] [THREADS] [MODELS_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
threads=${2:-2}
models=${3:-../shared/models/prose-llama-35m}
[ -f "$models/prose-llama-35m-q8_0.gguf" ] || { echo "no $models/prose-llama-35m-q8_0.gguf" >&2; exit 2; }
for round in $(seq "$rounds"); do
  for repack in false true; do
    echo "== round $round, repack=$repack, $threads thread(s)"
    ISTHMUS_JAVA_OPTS="-Disthmus.repack=$repack" ./launcher "$models/prose-llama-35m-q8_0.gguf" speed \
      --threads "$threads" --prompt-tokens 128 --gen-tokens 64 --repeat 5 2>&1 | grep -v '^WARNING: Using incubator'
  done
done
