#!/bin/bash
# Runs as build/device/script.sh (cd to the repo root from there), with build/device/lib holding the jars.
# Q6_K: four-row groups with a byte per code (repack true, the default) against GGUF's layout
# (the same build with -Disthmus.repack=q8_0,q4_0,q4_k), alternating.
cd "$(dirname "$0")/../.."
out=/tmp/q6k; mkdir -p $out
lscpu | grep -E "Model name|^CPU\(s\)|L3"
for th in ${THREADS:-16 8}; do for round in $(seq ${ROUNDS:-3}); do for v in grouped gguf; do
  opt=-Disthmus.repack=true
  [ $v = gguf ] && opt=-Disthmus.repack=q8_0,q4_0,q4_k
  ISTHMUS_JAVA_OPTS=$opt ISTHMUS_LIB_DIR=build/device/lib examples/bench/launcher-from-lib.sh bench-kernels --threads $th --formats q6_k > $out/$v-t$th-r$round.txt 2>&1
  echo "th=$th $v r$round: $(grep -E '^q6_k|read bandwidth' $out/$v-t$th-r$round.txt | tr '\n' ' ')"
done; done; done
