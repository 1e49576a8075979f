#!/usr/bin/env bash
# What batched decode costs: per-token latency of 1 sequence against 8 sequences decoded in one
# forward pass per step (submitted together through the embedded API), on a model whose weights
# do not fit in any cache (default: the 7B-shaped synthetic q4_0 model, 3.8 GB), one rank.
#   examples/bench/batched-decode.sh [MODEL] [CORES]
# Environment: BATCH (default 1,8), INPUT_TOKENS (32), OUTPUT_TOKENS (32), REPEAT (3), OUT, LAUNCHER.
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-models/synthetic/llama2-7b-q4_0.gguf}
cores=${2:-}
launcher=${LAUNCHER:-./launcher}
out=${OUT:-bench-results/batched-$(basename "$model" .gguf)}
if [ ! -f "$model" ] && [ "$model" = models/synthetic/llama2-7b-q4_0.gguf ]; then
  $launcher synth --config llama2-7b --format q4_0 --out "$model"
fi
bind=()
[ -n "$cores" ] && bind=(--bind-core-list "$cores")
$launcher "${bind[@]}" "$model" bench --ranks 1 --beams 1 --batch "${BATCH:-1,8}" \
  --input-tokens "${INPUT_TOKENS:-32}" --output-tokens "${OUTPUT_TOKENS:-32}" --repeat "${REPEAT:-3}" --out "$out"
