#!/bin/bash
# Q4_K: four-row groups with unpacked heads (this build) against GGUF's layout (same build) and the
# previous groups (base build), alternating.
cd "$(dirname "$0")/../.."
out=/tmp/q4k; mkdir -p $out
rm -rf /tmp/libbase && cp -r build/device/lib /tmp/libbase && cp build/device/base/*.jar /tmp/libbase/
lscpu | grep -E "Model name|^CPU\(s\)|L3"
for th in ${THREADS:-16 8}; do for round in $(seq ${ROUNDS:-3}); do for v in grouped gguf base-grouped; do
  opt=-Disthmus.repack=q8_0,q4_0,q4_k; lib=build/device/lib
  [ $v = gguf ] && opt=-Disthmus.repack=q8_0,q4_0
  [ $v = base-grouped ] && lib=/tmp/libbase
  ISTHMUS_JAVA_OPTS=$opt ISTHMUS_LIB_DIR=$lib examples/bench/launcher-from-lib.sh bench-kernels --threads $th --formats q4_k > $out/$v-t$th-r$round.txt 2>&1
  echo "th=$th $v r$round: $(grep -E '^q4_k|read bandwidth' $out/$v-t$th-r$round.txt | tr '\n' ' ')"
done; done; done
