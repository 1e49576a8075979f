#!/usr/bin/env bash
# A/B of commit 8617242 (x prepared once per product) against its parent on the AMX machine:
# bench-kernels GEMV 11008x4096 for q4_0, q4_k, q8_0 at 16 and 8 threads, builds alternating.
set -uo pipefail
mkdir -p /tmp/libA /tmp/libB
cp build/device/lib/*.jar /tmp/libA/
cp build/device/lib/*.jar /tmp/libB/ && cp build/device/libbase/*.jar /tmp/libB/
echo "=== $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) CPUs"
for round in 1 2 3 4; do
  for th in 16 8; do
    for v in B A; do
      name=$([ $v = A ] && echo "prepared once (8617242)" || echo "per range (parent 3f64551)")
      echo "=== round $round, $th threads, $name"
      ISTHMUS_LIB_DIR=/tmp/lib$v ISTHMUS_ONEDNN=off timeout 280 bash examples/bench/launcher-from-lib.sh bench-kernels --threads $th --formats q4_0,q4_k,q8_0 2>&1 | grep -E "^read|^fork|^q[0-9]"
    done
  done
done
