#!/usr/bin/env bash
# Packs everything a Java-less GPU machine needs to build the JNI and run the engine there (tools/gpu/run.sh) into
# one folder, under the device tool's 64 MiB carry limit together with the repository's working tree
# (docs/gpu-bringup.md):
#
#   jre.tar.xz      a jlink'd JRE (the modules jdeps finds, headers kept for jni.h) plus the shared libraries and
#                   fonts its java.desktop part loads from the system (the GPU image may lack them), xz-packed
#   lib/            the runtime jars of the generate command and the benchmark: no pytorch-native-cpu (the host's
#                   torch is used), no pytorch-jni (the JNI is built there), tokenizers trimmed to linux-x86_64
#   classes/        target/classes, plus the real-size benchmark's classes and configs from target/test-classes
#   djl/            DJL's PyTorch native sources, the utils header and the version file, from the DJL checkout
#                   given (never part of this repository), and djl/jni-header/ from `javac -h`
#   bundle.json     what is in it: versions, commit, sizes
#
# Usage: tools/gpu/bundle.sh --djl DJL_CHECKOUT [--out DIR] [--skip-build] [--classpath FILE] [--max-mib N]
#   --out DIR        bundle folder (default: .gpu-bundle at the repository root, git-ignored)
#   --skip-build     use target/classes, target/test-classes and --classpath as they are (no Maven run)
#   --classpath FILE runtime classpath (one line, ':'-separated; default: written by Maven into target/)
#   --max-mib N      size limit of the bundle (default: 64 MiB minus the working tree that travels with it)
# Exit codes: 0 built, 1 failed, 2 bad arguments or inputs.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
DJL_VERSION=0.35.1
DJL_SRC="" OUT="$REPO/.gpu-bundle" SKIP_BUILD=0 CLASSPATH_FILE="" MAX_MIB=""

die() { echo "bundle: $*" >&2; exit 2; }
fail() { echo "bundle: $*" >&2; exit 1; }
note() { echo "bundle: $*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --djl) DJL_SRC="${2:?--djl needs a folder}"; shift 2 ;;
    --out) OUT="${2:?--out needs a folder}"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --classpath) CLASSPATH_FILE="${2:?--classpath needs a file}"; shift 2 ;;
    --max-mib) MAX_MIB="${2:?--max-mib needs a number}"; shift 2 ;;
    -h|--help) sed -n '2,/^# Exit codes/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

[[ -n "$DJL_SRC" ]] || die "--djl DJL_CHECKOUT is required (git clone -b v$DJL_VERSION https://github.com/deepjavalibrary/djl)"
[[ -d "$DJL_SRC/engines/pytorch/pytorch-native/src/main/native" ]] || die "$DJL_SRC is not a DJL checkout"
found="$(sed -n 's/^djl *= *"\([^"]*\)".*/\1/p' "$DJL_SRC/gradle/libs.versions.toml" 2>/dev/null | head -1)"
[[ "$found" == "$DJL_VERSION" ]] || die "$DJL_SRC is DJL '${found:-unknown}', need $DJL_VERSION (git checkout v$DJL_VERSION)"
for tool in jlink jdeps javac xz; do command -v "$tool" >/dev/null || die "$tool is needed (a JDK 17+ and xz)"; done
[[ -z "$MAX_MIB" || "$MAX_MIB" =~ ^[0-9]+$ ]] || die "--max-mib must be a number"

# the jars the CLI and the benchmark load; anything else of the service (Spring, JPA, …) stays behind
JAR_ALLOWLIST='^(api|pytorch-engine|tokenizers|gson|jna|commons-compress|slf4j-api|logback-classic|logback-core)-[0-9]'

if (( ! SKIP_BUILD )); then
  CLASSPATH_FILE="${CLASSPATH_FILE:-$REPO/target/gpu-bundle.classpath}"
  note "compiling (main and test classes) and resolving the runtime classpath"
  (cd "$REPO" && ./mvnw -B -o -q test-compile dependency:build-classpath -Dmdep.includeScope=runtime \
      -Dmdep.outputFile="$CLASSPATH_FILE") || fail "the Maven build failed"
fi
[[ -n "$CLASSPATH_FILE" && -f "$CLASSPATH_FILE" ]] || die "no classpath file (give --classpath FILE with --skip-build)"
[[ -d "$REPO/target/classes/dev/vlm3d" ]] || die "no target/classes: build first (or drop --skip-build)"
[[ -f "$REPO/target/test-classes/dev/vlm3d/bench/RealSizeStepBenchmark.class" ]] \
  || die "no compiled benchmark in target/test-classes: build first (or drop --skip-build)"

STAGE="$(mktemp -d "${TMPDIR:-/tmp}/gpu-bundle.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
B="$STAGE/bundle"
mkdir -p "$B/lib" "$B/classes" "$B/djl/jni-header"

# ---------------------------------------------------------------- jars
mapfile -t JARS < <(tr ':' '\n' <"$CLASSPATH_FILE" | grep '\.jar$' || true)
for jar in "${JARS[@]}"; do
  name="$(basename "$jar")"
  [[ "$name" =~ $JAR_ALLOWLIST ]] || continue
  [[ "$name" == pytorch-native-* || "$name" == pytorch-jni-* ]] && continue
  if [[ "$name" == tokenizers-* ]]; then
    # the jar carries the Rust tokenizer for five platforms (54 MB unpacked); keep linux-x86_64
    t="$STAGE/tok"; mkdir -p "$t"; (cd "$t" && jar xf "$jar")
    find "$t/native/lib" -mindepth 1 -maxdepth 1 -type d ! -name linux-x86_64 -exec rm -rf {} +
    (cd "$t" && jar --create --file "$B/lib/$name" --manifest META-INF/MANIFEST.MF -C "$t" .) 2>/dev/null \
      || (cd "$t" && jar cf "$B/lib/$name" .)
    rm -rf "$t"
  else
    cp "$jar" "$B/lib/"
  fi
done
for need in api pytorch-engine tokenizers gson jna slf4j-api logback-classic; do
  ls "$B/lib/$need"-[0-9]*.jar >/dev/null 2>&1 || fail "the runtime classpath has no $need jar"
done

# ---------------------------------------------------------------- our classes
cp -r "$REPO/target/classes/." "$B/classes/"
mkdir -p "$B/classes/dev/vlm3d/bench"
for c in RealSizeStepBenchmark RealSizeModels RandomWeights DeviceMemory CheckpointShapes; do
  cp "$REPO/target/test-classes/dev/vlm3d/bench/$c.class" "$B/classes/dev/vlm3d/bench/"
  cp "$REPO"/target/test-classes/dev/vlm3d/bench/"$c"\$*.class "$B/classes/dev/vlm3d/bench/" 2>/dev/null || true
done
cp -r "$REPO/target/test-classes/configs" "$B/classes/"

# ---------------------------------------------------------------- DJL native sources and the JNI header
N=engines/pytorch/pytorch-native
mkdir -p "$B/djl/$N/src/main" "$B/djl/api/src/main/native/djl" "$B/djl/gradle"
cp "$DJL_SRC/$N/CMakeLists.txt" "$B/djl/$N/"
cp -r "$DJL_SRC/$N/src/main/native" "$B/djl/$N/src/main/"
cp "$DJL_SRC/api/src/main/native/djl/utils.h" "$B/djl/api/src/main/native/djl/"
cp "$DJL_SRC/gradle/libs.versions.toml" "$B/djl/gradle/"
javac -sourcepath "$DJL_SRC/engines/pytorch/pytorch-engine/src/main/java" \
  "$DJL_SRC/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java" \
  -h "$B/djl/jni-header" -d "$STAGE/javac" || fail "javac -h failed"

# ---------------------------------------------------------------- JRE
CP_BUNDLE="$(find "$B/lib" -name '*.jar' | sort | paste -sd:)"
# the union of what jdeps sees in our classes and in each jar (one at a time: a jar that is a named module, such
# as commons-compress, makes jdeps resolve its optional module dependencies and fail), plus what it cannot see:
# reflection and Unsafe users (JNA, Gson), zipfs for jar resources, logging and JMX used by logback and the CLI
MODULES="java.base,java.desktop,java.logging,java.management,java.naming,java.xml,jdk.unsupported,jdk.zipfs"
for target in "$B/classes" "$B"/lib/*.jar; do
  found="$(jdeps --print-module-deps --ignore-missing-deps --multi-release 17 -q --class-path "$CP_BUNDLE" \
    "$target" 2>/dev/null | tail -1)" || true
  [[ "$found" =~ ^java\.base ]] && MODULES="$MODULES,$found"
done
MODULES="$(echo "$MODULES" | tr ',' '\n' | sort -u | paste -sd,)"
note "jlink modules: $MODULES"
jlink --add-modules "$MODULES" --strip-debug --no-man-pages --compress=2 --output "$STAGE/jre" >/dev/null \
  || fail "jlink failed"
strip --strip-unneeded "$STAGE/jre/lib/server/libjvm.so" 2>/dev/null || true
# java.desktop (PNG/GIF export, the curves chart) loads these from the system; the GPU image may not have them
mkdir -p "$STAGE/jre/lib/system" "$STAGE/jre/lib/fonts"
mapfile -t SYSLIBS < <(ldd "$STAGE"/jre/lib/*.so 2>/dev/null | awk '/=> \// {print $3}' | sort -u \
  | grep -v -E '/(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|libz)\.so' | grep -v "$STAGE" \
  | grep -v -E '/lib(X[a-z]*|xcb|asound|bsd|md)\.so' || true)  # X11 and sound: never loaded headless
for l in "${SYSLIBS[@]}"; do cp -L "$l" "$STAGE/jre/lib/system/"; done
for f in /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf; do
  [[ -f "$f" ]] && cp "$f" "$STAGE/jre/lib/fonts/"
done
"$STAGE/jre/bin/java" -version >/dev/null 2>&1 || fail "the jlink'd JRE does not start"
tar -C "$STAGE" -cf - jre | xz -T0 -6 >"$B/jre.tar.xz"

# ---------------------------------------------------------------- manifest and size
commit="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git -C "$REPO" status --porcelain 2>/dev/null | { grep -v '^??' || true; } | wc -l | tr -d ' ')"
BYTES="$(du -sb "$B" | cut -f1)"
TREE_BYTES="$(cd "$REPO" && git ls-files -co --exclude-standard -z 2>/dev/null | xargs -0 -r du -cb 2>/dev/null | tail -1 | cut -f1)"
TREE_BYTES="${TREE_BYTES:-0}"
LIMIT_BYTES=$(( ${MAX_MIB:-64} * 1024 * 1024 ))
[[ -z "$MAX_MIB" ]] && LIMIT_BYTES=$(( LIMIT_BYTES - TREE_BYTES ))
{
  echo "{"
  echo "  \"built\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "  \"commit\": \"$commit\", \"uncommitted_changes\": $dirty,"
  echo "  \"djl_version\": \"$DJL_VERSION\","
  echo "  \"java\": \"$("$STAGE/jre/bin/java" -version 2>&1 | head -1 | tr -d '"')\","
  echo "  \"jre_modules\": \"$MODULES\","
  echo "  \"jars\": [$(ls "$B/lib" | sed 's/.*/"&"/' | paste -sd, -)],"
  echo "  \"bytes\": $BYTES, \"working_tree_bytes\": $TREE_BYTES, \"limit_bytes\": $LIMIT_BYTES"
  echo "}"
} >"$B/bundle.json"
(( BYTES <= LIMIT_BYTES )) || fail "the bundle is $((BYTES / 1048576)) MiB, over its $((LIMIT_BYTES / 1048576)) MiB limit (64 MiB less the $((TREE_BYTES / 1048576)) MiB working tree)"

rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$B" "$OUT"
note "bundle $OUT: $((BYTES / 1048576)) MiB (limit $((LIMIT_BYTES / 1048576)) MiB with the $((TREE_BYTES / 1048576)) MiB working tree)"
