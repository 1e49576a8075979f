#!/usr/bin/env bash
# Latency experiment on a Llama-2-7B-shaped synthetic model (seeded random weights, real sizes), as
# in DeepSpeed's Xeon post: prompt latency and per-token latency of the 2nd+ tokens for 1 and 2
# ranks, greedy and beam 4. The model is synthesized first when absent (q4_0: 3.8 GB, q8_0: 7.2 GB,
# f16: 13.5 GB of disk).
#   examples/bench/latency-7b.sh [CORES] [FORMAT]
#     CORES   cores to use, split evenly between the ranks (default 0-15: 1 rank of 16, 2 ranks of 8)
#     FORMAT  q4_0 (default), q8_0, f16 or bf16
# Environment: INPUT_TOKENS (default 32,256,1024), OUTPUT_TOKENS (32), BEAMS (1,4), REPEAT (3),
#   MODEL (default models/synthetic/llama2-7b-FORMAT.gguf), OUT (default bench-results/llama2-7b-FORMAT-CORES),
#   LAUNCHER (default ./launcher; the command that runs io.isthmus.launcher.Main).
set -euo pipefail
cd "$(dirname "$0")/../.."
cores=${1:-0-15}
format=${2:-q4_0}
launcher=${LAUNCHER:-./launcher}
model=${MODEL:-models/synthetic/llama2-7b-$format.gguf}
out=${OUT:-bench-results/llama2-7b-$format-$cores}
if [ ! -f "$model" ]; then
  $launcher synth --config llama2-7b --format "$format" --out "$model"
fi
$launcher --bind-core-list "$cores" "$model" bench --ranks 1,2 \
  --input-tokens "${INPUT_TOKENS:-32,256,1024}" --output-tokens "${OUTPUT_TOKENS:-32}" \
  --beams "${BEAMS:-1,4}" --repeat "${REPEAT:-3}" --out "$out"
