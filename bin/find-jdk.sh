# Sourced by ./launcher and ./test: sets JAVA_HOME to a JDK 25 or newer, or exits with what to install.
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
isthmus_find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(java_major "$candidate")
    if [ -n "$major" ] && [ "${major%%.*}" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "isthmus: needs a JDK 25 or newer (found none in JAVA_HOME or /usr/lib/jvm)." >&2
  echo "isthmus: install one, e.g. 'apt-get install temurin-25-jdk' (Adoptium) or set JAVA_HOME." >&2
  exit 2
}
isthmus_find_jdk
command -v mvn >/dev/null || { echo "isthmus: needs Apache Maven 3.8+ ('apt-get install maven')" >&2; exit 2; }
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
