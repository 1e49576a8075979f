#!/usr/bin/env bash
# Lays out build/device/ for running examples/bench/onednn-amx.sh on a machine with no JDK, Maven or
# network: the runtime jars without the 28 MB dnnl jar (build/device/lib) and the three shared
# libraries extracted from the bytedeco jars as plain files (build/device/onednn), which xz packs
# about 6x -- the jar route does not fit a 64 MiB transfer next to a JDK. Then, for instance:
#   ../shared/hooks/device-pack build/device
#   (on the machine) bash .device/run.sh env ISTHMUS_LIB_DIR=build/device/lib \
#       ISTHMUS_ONEDNN_LIB=$PWD/build/device/onednn/libdnnl.so.3 examples/bench/onednn-amx.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
./launcher --help >/dev/null   # builds launcher-cli/target/lib when needed
rm -rf build/device
mkdir -p build/device/lib build/device/onednn
for jar in launcher-cli/target/lib/*.jar; do
  case "$(basename "$jar")" in
    dnnl-*-linux-x86_64.jar) unzip -q -j -o "$jar" 'org/bytedeco/dnnl/linux-x86_64/libdnnl.so.3' \
                               'org/bytedeco/dnnl/linux-x86_64/libgomp.so.1' -d build/device/onednn ;;
    opencl-*-linux-x86_64.jar) unzip -q -j -o "$jar" 'org/bytedeco/opencl/linux-x86_64/libOpenCL.so.1' -d build/device/onednn
                               cp "$jar" build/device/lib/ ;;
    *) cp "$jar" build/device/lib/ ;;
  esac
done
ls -l build/device/onednn
