#!/usr/bin/env bash
# q4_k at 8 threads: per range (parent 3f64551), prepared once (8617242), prepared once but cloned per range (experiment)
set -uo pipefail
mkdir -p /tmp/libA /tmp/libB /tmp/libC
cp build/device/lib/*.jar /tmp/libA/
cp build/device/lib/*.jar /tmp/libB/ && cp build/device/libbase/*.jar /tmp/libB/
cp build/device/lib/*.jar /tmp/libC/ && cp build/device/libclone/*.jar /tmp/libC/
for round in 1 2 3 4 5; do
  for v in B A C; do
    echo "=== round $round, 8 threads, $v"
    ISTHMUS_LIB_DIR=/tmp/lib$v ISTHMUS_ONEDNN=off timeout 200 bash examples/bench/launcher-from-lib.sh bench-kernels --threads 8 --formats q4_k,q4_0 2>&1 | grep -E "^read|^q[0-9]"
  done
done
