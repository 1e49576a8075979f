#!/usr/bin/env bash
# bench-onednn, meant for the AMX machine (runs on any x86-64 Linux): GFLOP/s of oneDNN's bf16 and
# int8 matmul paths next to the Vector API kernels on a 7B layer's shapes (K = 4096, N = 4096 and
# 11008, M = 1..2048), the ISA oneDNN dispatches to, its 4096^3 bf16 figure, and a 512-token
# prefill through a 7B-shaped layer stack -- first with the default OpenMP wait policy, then the
# stack alone under each policy of OTHER_WAIT_POLICIES (default ACTIVE; empty for none): libgomp
# reads OMP_WAIT_POLICY once, at load, so one JVM each.
#
#   examples/bench/onednn-amx.sh [bench-onednn options]      e.g. --layers 8 --seconds 1
#
# Needs java 25 (JAVA_HOME or PATH) and launcher-cli/target/lib (all runtime jars, the bytedeco
# dnnl/opencl platform jars included); where Maven is present and the build is missing or stale,
# ./launcher builds it first. ISTHMUS_LIB_DIR names another folder of those jars, and
# ISTHMUS_ONEDNN_LIB=/path/libdnnl.so.3 an extracted library (libgomp.so.1, libOpenCL.so.1 beside it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
lib=${ISTHMUS_LIB_DIR:-launcher-cli/target/lib}
if command -v mvn >/dev/null 2>&1; then
  ./launcher --help >/dev/null   # builds when needed
fi
[ -d "$lib" ] || { echo "onednn-amx.sh: no $lib; build with ./launcher on a machine with Maven and bring it" >&2; exit 2; }
java=java
[ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"
run() {
  "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m -Xmx${BENCH_HEAP:-48g} \
    -cp "$lib/*" io.isthmus.launcher.Main bench-onednn "$@"
}
echo "=== $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) CPUs; OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(isthmus default)}"
run "$@"
for policy in ${OTHER_WAIT_POLICIES-ACTIVE}; do
  echo
  echo "=== OMP_WAIT_POLICY=$policy (layer stack only)"
  OMP_WAIT_POLICY=$policy run --skip-table "$@"
done
