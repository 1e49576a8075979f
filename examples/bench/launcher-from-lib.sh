#!/usr/bin/env bash
# Runs the launcher from a folder of prebuilt jars with whatever java 25 is on the PATH (or in
# JAVA_HOME), for machines without Maven: the AMX machine, where examples/bench/onednn-device-payload.sh
# and ../shared/hooks/device-pack bring the jars. Same JVM flags as ./launcher.
#   ISTHMUS_LIB_DIR=build/device/lib examples/bench/launcher-from-lib.sh MODEL bench ...
set -euo pipefail
lib=${ISTHMUS_LIB_DIR:-launcher-cli/target/lib}
[ -d "$lib" ] || { echo "launcher-from-lib.sh: no jar folder $lib (set ISTHMUS_LIB_DIR)" >&2; exit 2; }
java=java
[ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"
exec "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Dchronicle.analytics.disable=true --add-opens=java.base/java.lang=ALL-UNNAMED \
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED \
  --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED \
  --sun-misc-unsafe-memory-access=allow -Xss4m ${ISTHMUS_JAVA_OPTS:-} \
  -cp "$lib/*" io.isthmus.launcher.Main "$@"
