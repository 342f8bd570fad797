#!/usr/bin/env bash
# Builds DJL 0.35.1's PyTorch JNI (libdjl_torch.so) against the libtorch of this host, and installs it where DJL's
# offline lookup finds it (docs/gpu-bringup.md, README "GPU").
#
# DJL publishes libdjl_torch.so only for libtorch 2.7.1, and a JNI is bound to one libtorch version (no ABI
# stability across versions). This script compiles DJL's own native sources (from a DJL checkout the user supplies;
# none of DJL's code is in this repository) against another libtorch, e.g. a pip site-packages/torch.
#
# What it changes in (a copy of) DJL's sources, each only where the target libtorch needs it, and always reported:
#   c10-optional      c10::optional / c10::nullopt -> std::optional / std::nullopt (libtorch >= 2.4, where c10's are
#                     aliases of std's and newer releases drop them)
#   legacy-profiler   the legacy autograd profiler (torchStartProfile / torchStopProfile) is compiled out when the
#                     target headers no longer declare it; the two natives then throw "not available" to Java
#   torchscript-unit  the TorchScript-only units (inference.cc: module load/run, graph executor, cuDNN benchmark
#                     switch; ivalue.cc: IValue marshalling) are left out when they fail to compile; their natives
#                     then raise UnsatisfiedLinkError if called. This project's engine does not call them, except
#                     torchSetBenchmarkCuDNN (-Dai.djl.pytorch.cudnn_benchmark=true); --strict fails instead.
#   V1_13_X           DJL's own switch for libtorch 1.13 / 2.0 / 2.1 headers (as DJL's build.sh sets it)
#
# Usage: tools/gpu/build-djl-jni.sh --djl DJL_CHECKOUT (--torch TORCH_DIR | --torch-include DIR --torch-lib DIR)
#          [--jni-header FILE] [--java-home DIR] [--version X.Y.Z] [--flavor cpu|cuNNN] [--cuda-include DIR]
#          [--cache-dir DIR] [--install-dir DIR] [--work DIR] [--jobs N] [--skip-unit NAME]... [--strict]
#          [--patch-only] [--print-install-path] [--no-memory-stats] [--cxxflags "FLAGS"]
# Exit codes: 0 built (or patched, with --patch-only), 1 build failed, 2 bad arguments or inputs.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DJL_VERSION=0.35.1

usage() {
  sed -n '/^# Usage:/,/^# Exit codes/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<'EOF'

  --djl DIR            DJL source checkout at tag v0.35.1 (git clone -b v0.35.1 https://github.com/deepjavalibrary/djl)
  --torch DIR          a libtorch folder or a pip site-packages/torch (holding include/ and lib/)
  --torch-include DIR, --torch-lib DIR   the same for split layouts (e.g. Debian: /usr/include, /usr/lib/x86_64-linux-gnu)
  --jni-header FILE    ai_djl_pytorch_jni_PyTorchLibrary.h from `javac -h` (generated here when javac exists)
  --java-home DIR      a JDK or jlink'd JRE with include/jni.h (default: $JAVA_HOME, else from java/javac on PATH)
  --version X.Y.Z      libtorch version (default: read from the headers); PYTORCH_VERSION must say the same
  --flavor F           cpu, cu128, cu130, ... (default: cuNNN when lib/ has libtorch_cuda.so, else cpu;
                       "-precxx11" is appended for pre-C++11-ABI builds)
  --cuda-include DIR   CUDA headers for a cu flavor (default: $CUDA_HOME/include, nvcc's, pip nvidia/*/include)
  --cache-dir DIR      DJL cache dir to install into (default: as DJL: $ENGINE_CACHE_DIR, $DJL_CACHE_DIR, ~/.djl.ai)
  --install-dir DIR    also copy the library there as 0.35.1-libdjl_torch.so (e.g. the torch lib dir, searched first)
  --work DIR           build folder (default: a new temp folder); keeps the patched sources, logs and build-report.json
  --jobs N             parallel compiles (default: nproc)
  --skip-unit NAME     leave a unit out (e.g. inference, ivalue); repeatable
  --strict             fail on any unit that does not compile instead of leaving out a TorchScript-only unit
  --patch-only         copy and patch the sources, write the report, compile nothing
  --print-install-path print where the library goes (DJL's lookup path for this libtorch) and exit
  --cxxflags "FLAGS"   extra compiler flags (e.g. -I for headers a distro libtorch includes, such as gflags)
  --no-memory-stats    do not build the CUDA allocator statistics helper (tools/gpu/jni/vlm3d_cuda_memory.cc)
EOF
}

die() { echo "build-djl-jni: $*" >&2; exit 2; }
fail() { echo "build-djl-jni: $*" >&2; exit 1; }
note() { echo "build-djl-jni: $*" >&2; }

DJL_SRC="" TORCH="" TORCH_INC="" TORCH_LIB="" JNI_HEADER="" JAVA_DIR="${JAVA_HOME:-}" VERSION="" FLAVOR=""
CUDA_INC="" CACHE_DIR="" INSTALL_DIR="" WORK="" JOBS="$(nproc 2>/dev/null || echo 2)" STRICT=0 PATCH_ONLY=0
MEMORY_STATS=1 EXTRA_CXXFLAGS="" PRINT_INSTALL_PATH=0
SKIP_UNITS=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --djl) DJL_SRC="${2:?--djl needs a folder}"; shift 2 ;;
    --torch) TORCH="${2:?--torch needs a folder}"; shift 2 ;;
    --torch-include) TORCH_INC="${2:?--torch-include needs a folder}"; shift 2 ;;
    --torch-lib) TORCH_LIB="${2:?--torch-lib needs a folder}"; shift 2 ;;
    --jni-header) JNI_HEADER="${2:?--jni-header needs a file}"; shift 2 ;;
    --java-home) JAVA_DIR="${2:?--java-home needs a folder}"; shift 2 ;;
    --version) VERSION="${2:?--version needs X.Y.Z}"; shift 2 ;;
    --flavor) FLAVOR="${2:?--flavor needs a value}"; shift 2 ;;
    --cuda-include) CUDA_INC="${2:?--cuda-include needs a folder}"; shift 2 ;;
    --cache-dir) CACHE_DIR="${2:?--cache-dir needs a folder}"; shift 2 ;;
    --install-dir) INSTALL_DIR="${2:?--install-dir needs a folder}"; shift 2 ;;
    --work) WORK="${2:?--work needs a folder}"; shift 2 ;;
    --jobs) JOBS="${2:?--jobs needs a number}"; shift 2 ;;
    --skip-unit) SKIP_UNITS+=("${2:?--skip-unit needs a unit name}"); shift 2 ;;
    --strict) STRICT=1; shift ;;
    --patch-only) PATCH_ONLY=1; shift ;;
    --print-install-path) PRINT_INSTALL_PATH=1; shift ;;
    --no-memory-stats) MEMORY_STATS=0; shift ;;
    --cxxflags) EXTRA_CXXFLAGS="${2?--cxxflags needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-djl-jni: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

# ---------------------------------------------------------------- inputs
[[ -n "$DJL_SRC" ]] || die "--djl DJL_CHECKOUT is required (a checkout of deepjavalibrary/djl at tag v$DJL_VERSION)"
[[ -d "$DJL_SRC" ]] || die "--djl $DJL_SRC is not a folder"
DJL_SRC="$(cd "$DJL_SRC" && pwd)"
NATIVE="$DJL_SRC/engines/pytorch/pytorch-native"
[[ -f "$NATIVE/CMakeLists.txt" && -d "$NATIVE/src/main/native" ]] \
  || die "$DJL_SRC is not a DJL checkout: engines/pytorch/pytorch-native/src/main/native is missing"
[[ -f "$DJL_SRC/api/src/main/native/djl/utils.h" ]] || die "$DJL_SRC has no api/src/main/native/djl/utils.h"
found_version="$(sed -n 's/^djl *= *"\([^"]*\)".*/\1/p' "$DJL_SRC/gradle/libs.versions.toml" 2>/dev/null | head -1)"
[[ "$found_version" == "$DJL_VERSION" ]] \
  || die "$DJL_SRC is DJL '${found_version:-unknown}' (gradle/libs.versions.toml); this script builds the JNI of DJL $DJL_VERSION, the version in pom.xml (git checkout v$DJL_VERSION)"
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number, not '$JOBS'"

if [[ -n "$TORCH" ]]; then
  [[ -d "$TORCH" ]] || die "--torch $TORCH is not a folder"
  TORCH="$(cd "$TORCH" && pwd)"
  TORCH_INC="${TORCH_INC:-$TORCH/include}"
  TORCH_LIB="${TORCH_LIB:-$TORCH/lib}"
fi
[[ -n "$TORCH_INC" && -n "$TORCH_LIB" ]] || die "give --torch TORCH_DIR (or both --torch-include and --torch-lib)"
TORCH_INC="$(cd "$TORCH_INC" 2>/dev/null && pwd)" || die "torch include folder not found"
TORCH_LIB="$(cd "$TORCH_LIB" 2>/dev/null && pwd)" || die "torch lib folder not found"
VERSION_H="$TORCH_INC/torch/csrc/api/include/torch/version.h"
[[ -f "$VERSION_H" ]] || die "$TORCH_INC has no torch/csrc/api/include/torch/version.h: not libtorch headers"
for lib in libtorch.so libtorch_cpu.so libc10.so; do
  [[ -e "$TORCH_LIB/$lib" ]] || die "$TORCH_LIB has no $lib"
done

header_version="$(awk '/define TORCH_VERSION_MAJOR/{a=$3} /define TORCH_VERSION_MINOR/{b=$3} /define TORCH_VERSION_PATCH/{c=$3} END{print a"."b"."c}' "$VERSION_H")"
if [[ -z "$VERSION" ]]; then
  VERSION="$header_version"
elif [[ "${VERSION%.*}" != "${header_version%.*}" ]]; then
  die "--version $VERSION does not match the headers ($header_version)"
fi
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "libtorch version '$VERSION' is not X.Y.Z"
MAJOR="${VERSION%%.*}"; rest="${VERSION#*.}"; MINOR="${rest%%.*}"
version_at_least() { (( MAJOR > $1 || (MAJOR == $1 && MINOR >= $2) )); }

# C++ ABI of the libtorch build: the JNI must be compiled with the same one
# (count, not grep -q: under pipefail an early grep exit would fail nm with SIGPIPE)
cxx11_symbols="$(nm -D --defined-only "$TORCH_LIB/libc10.so" 2>/dev/null | grep -c '__cxx11' || true)"
if [[ "${cxx11_symbols:-0}" -gt 0 ]]; then CXX11_ABI=1; else CXX11_ABI=0; fi

CUDA=0
[[ -e "$TORCH_LIB/libtorch_cuda.so" ]] && CUDA=1
if [[ -z "$FLAVOR" ]]; then
  if (( CUDA )); then
    cuda_version=""
    [[ -n "$TORCH" && -f "$TORCH/version.py" ]] && cuda_version="$(sed -n "s/^cuda *= *'\([0-9.]*\)'.*/\1/p" "$TORCH/version.py")"
    [[ -z "$cuda_version" && -n "$TORCH" && -f "$TORCH/build-version" ]] && cuda_version="$(sed -n 's/.*+cu\([0-9]*\).*/\1/p' "$TORCH/build-version" | sed 's/\(.*\)\(.\)$/\1.\2/')"
    [[ -n "$cuda_version" ]] || die "cannot tell the CUDA version of $TORCH_LIB: pass --flavor cuNNN"
    FLAVOR="cu$(echo "$cuda_version" | awk -F. '{printf "%d%d", $1, $2}')"
  else
    FLAVOR=cpu
  fi
  (( CXX11_ABI )) || FLAVOR="$FLAVOR-precxx11"
fi
[[ "$FLAVOR" =~ ^(cpu|cu[0-9]{3})(-precxx11)?$ ]] || die "--flavor '$FLAVOR' is not cpu or cuNNN (optionally -precxx11)"
[[ "$FLAVOR" == cu* ]] && (( ! CUDA )) && die "--flavor $FLAVOR but $TORCH_LIB has no libtorch_cuda.so"

case "$(uname -m)" in
  x86_64|amd64) CLASSIFIER=linux-x86_64 ;;
  aarch64|arm64) CLASSIFIER=linux-aarch64 ;;
  *) die "unsupported machine $(uname -m)" ;;
esac

CUDA_INCS=()
if [[ "$FLAVOR" == cu* ]]; then
  if [[ -n "$CUDA_INC" ]]; then
    [[ -f "$CUDA_INC/cuda_runtime_api.h" ]] || die "--cuda-include $CUDA_INC has no cuda_runtime_api.h"
    CUDA_INCS=("$CUDA_INC")
  else
    # the toolkit's headers and, for pip wheels, the nvidia-* packages' (cuBLAS, cuSPARSE, ... for ATen/cuda headers)
    for c in "${CUDA_HOME:-/x}/include" "$(dirname "$(command -v nvcc 2>/dev/null || echo /x/x)")/../include" \
             /usr/local/cuda/include "${TORCH:-/x}"/../nvidia/*/include; do
      [[ -d "$c" ]] && ls "$c"/*.h >/dev/null 2>&1 && CUDA_INCS+=("$(cd "$c" && pwd)")
    done
    found_runtime=0
    for c in "${CUDA_INCS[@]}"; do [[ -f "$c/cuda_runtime_api.h" ]] && found_runtime=1; done
    (( found_runtime )) || die "flavor $FLAVOR needs CUDA headers (cuda_runtime_api.h): pass --cuda-include DIR"
  fi
fi

# the DJL cache folder, resolved exactly as ai.djl.util.Utils.getEngineCacheDir() does
if [[ -z "$CACHE_DIR" ]]; then
  if [[ -n "${ENGINE_CACHE_DIR:-}" ]]; then CACHE_DIR="$ENGINE_CACHE_DIR"
  elif [[ -n "${DJL_CACHE_DIR:-}" ]]; then CACHE_DIR="$DJL_CACHE_DIR"
  elif [[ -w "$HOME" ]]; then CACHE_DIR="$HOME/.djl.ai"
  else CACHE_DIR="${TMPDIR:-/tmp}/.djl.ai"; fi
fi
# ai.djl.pytorch.jni.LibUtils.findJniLibrary: <cache>/pytorch/<PYTORCH_VERSION>-<PYTORCH_FLAVOR>-<classifier>/<djl>-libdjl_torch.so
INSTALL_PATH="$CACHE_DIR/pytorch/$VERSION-$FLAVOR-$CLASSIFIER/$DJL_VERSION-libdjl_torch.so"
if (( PRINT_INSTALL_PATH )); then echo "$INSTALL_PATH"; exit 0; fi

WORK="${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/djl-jni-build.XXXXXX")}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
rm -rf "$WORK/src" "$WORK/obj" "$WORK/logs" "$WORK/include"
mkdir -p "$WORK/src" "$WORK/obj" "$WORK/logs" "$WORK/include"

# ---------------------------------------------------------------- JNI header
if [[ -z "$JNI_HEADER" ]]; then
  if command -v javac >/dev/null 2>&1; then
    note "generating the JNI header with javac -h"
    javac -sourcepath "$DJL_SRC/engines/pytorch/pytorch-engine/src/main/java" \
      "$DJL_SRC/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java" \
      -h "$WORK/include" -d "$WORK/javac-classes" >"$WORK/logs/javac.log" 2>&1 \
      || fail "javac -h failed (see $WORK/logs/javac.log)"
  else
    die "no javac here: pass --jni-header ai_djl_pytorch_jni_PyTorchLibrary.h (made with javac -h where a JDK exists; tools/gpu/bundle.sh ships one)"
  fi
else
  [[ -f "$JNI_HEADER" ]] || die "--jni-header $JNI_HEADER is not a file"
  grep -q 'Java_ai_djl_pytorch_jni_PyTorchLibrary_' "$JNI_HEADER" || die "$JNI_HEADER is not the PyTorchLibrary JNI header"
  cp "$JNI_HEADER" "$WORK/include/ai_djl_pytorch_jni_PyTorchLibrary.h"
fi

if [[ -z "$JAVA_DIR" ]]; then
  for tool in javac java; do
    if command -v "$tool" >/dev/null 2>&1; then JAVA_DIR="$(dirname "$(dirname "$(readlink -f "$(command -v "$tool")")")")"; break; fi
  done
fi
[[ -n "$JAVA_DIR" && -f "$JAVA_DIR/include/jni.h" ]] \
  || die "no jni.h: pass --java-home DIR (a JDK, or a jlink'd JRE made without --no-header-files)"
JNI_MD_DIR="$(dirname "$(find "$JAVA_DIR/include" -name jni_md.h | head -1)")"

# ---------------------------------------------------------------- sources and patches
# DJL's own list of compiled units (CMakeLists.txt SOURCE_FILES), so a unit added upstream is not silently dropped
mapfile -t UNITS < <(grep -o '"src/main/native/[^"]*\.cc"' "$NATIVE/CMakeLists.txt" | tr -d '"' | xargs -n1 basename | sed 's/\.cc$//')
[[ ${#UNITS[@]} -gt 0 ]] || die "no source units listed in $NATIVE/CMakeLists.txt"
cp "$NATIVE"/src/main/native/*.cc "$NATIVE"/src/main/native/*.h "$WORK/src/"

PATCHES=()
DEFINES=()
unit_file() { echo "$WORK/src/$1.cc"; }
short_unit() { echo "$1" | sed 's/^ai_djl_pytorch_jni_PyTorchLibrary_//'; }

if version_at_least 2 4; then
  changed=()
  for f in "$WORK"/src/*.cc "$WORK"/src/*.h; do
    n="$(grep -c 'c10::optional\|c10::nullopt' "$f" || true)"
    if [[ "$n" != 0 ]]; then
      sed -i 's/c10::optional/std::optional/g; s/c10::nullopt/std::nullopt/g' "$f"
      changed+=("$(basename "$f"):$n")
    fi
  done
  (( ${#changed[@]} )) && PATCHES+=("c10-optional: ${changed[*]}")
fi

if [[ "$VERSION" =~ ^(1\.13|2\.0|2\.1)\. ]]; then
  DEFINES+=(-DV1_13_X)
  PATCHES+=("V1_13_X: DJL's switch for libtorch $VERSION headers")
fi

# legacy profiler: still declared by the target headers?
if ! grep -rqs 'enableProfilerLegacy' "$TORCH_INC/torch/csrc/autograd/" "$TORCH_INC/torch/csrc/profiler/" 2>/dev/null; then
  SYS="$(unit_file ai_djl_pytorch_jni_PyTorchLibrary_system)"
  start='^// the code snippet is copied from torch/csrc/autograd/profiler_legacy.cpp'
  after='^JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCudaEmptyCache'
  grep -q "$start" "$SYS" && grep -q "$after" "$SYS" && grep -q '^using namespace torch::autograd::profiler;' "$SYS" \
    || fail "legacy profiler patch: the markers are not in system.cc (not DJL v$DJL_VERSION sources?)"
  # compile the profiler block out and put two natives in its place that report the missing feature to Java
  awk -v start="$start" -v after="$after" '
    $0 ~ /^using namespace torch::autograd::profiler;/ { print "#ifndef VLM3D_NO_LEGACY_PROFILER"; print; print "#endif"; next }
    $0 ~ start { print "#ifndef VLM3D_NO_LEGACY_PROFILER" }
    $0 ~ after {
      print "#else  // VLM3D_NO_LEGACY_PROFILER: added by tools/gpu/build-djl-jni.sh"
      print "JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchStartProfile("
      print "    JNIEnv* env, jobject jthis, jboolean juse_cuda, jboolean jrecord_shape, jboolean jprofile_memory) {"
      print "  API_BEGIN()"
      print "  TORCH_CHECK(false, \"the legacy autograd profiler is not in this libtorch: this JNI was built without it (tools/gpu/build-djl-jni.sh)\");"
      print "  API_END()"
      print "}"
      print "JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchStopProfile("
      print "    JNIEnv* env, jobject jthis, jstring joutput_file) {"
      print "  API_BEGIN()"
      print "  TORCH_CHECK(false, \"the legacy autograd profiler is not in this libtorch: this JNI was built without it (tools/gpu/build-djl-jni.sh)\");"
      print "  API_END()"
      print "}"
      print "#endif"
      print ""
    }
    { print }' "$SYS" >"$SYS.patched"
  mv "$SYS.patched" "$SYS"
  DEFINES+=(-DVLM3D_NO_LEGACY_PROFILER)
  PATCHES+=("legacy-profiler: torchStartProfile/torchStopProfile throw (no enableProfilerLegacy in the headers)")
fi

# ---------------------------------------------------------------- compile
CXXFLAGS=(-std=c++17 -O2 -fPIC -DNDEBUG -w "-D_GLIBCXX_USE_CXX11_ABI=$CXX11_ABI"
  -I"$WORK/include" -I"$JAVA_DIR/include" -I"$JNI_MD_DIR" -I"$DJL_SRC/api/src/main/native"
  -I"$TORCH_INC" -I"$TORCH_INC/torch/csrc/api/include" "${DEFINES[@]}")
if [[ "$FLAVOR" == cu* ]]; then
  CXXFLAGS+=(-DUSE_CUDA)
  for c in "${CUDA_INCS[@]}"; do CXXFLAGS+=(-I"$c"); done
fi
# shellcheck disable=SC2206 # split on purpose: several flags in one argument
[[ -n "$EXTRA_CXXFLAGS" ]] && CXXFLAGS+=($EXTRA_CXXFLAGS)
CXX="${CXX:-g++}"

write_report() {
  local status="$1"
  {
    echo "{"
    echo "  \"status\": \"$status\","
    echo "  \"djl_version\": \"$DJL_VERSION\","
    echo "  \"libtorch_version\": \"$VERSION\","
    echo "  \"flavor\": \"$FLAVOR\","
    echo "  \"classifier\": \"$CLASSIFIER\","
    echo "  \"cxx11_abi\": $CXX11_ABI,"
    echo "  \"jobs\": $JOBS,"
    echo "  \"compile_seconds\": ${COMPILE_SECONDS:-null},"
    printf '  "patches": ['; local first=1
    for p in "${PATCHES[@]}"; do (( first )) || printf ', '; first=0; printf '"%s"' "${p//\"/\'}"; done; echo "],"
    printf '  "skipped_units": ['; first=1
    for s in "${SKIPPED[@]}"; do (( first )) || printf ', '; first=0; printf '"%s"' "${s//\"/\'}"; done; echo "],"
    echo "  \"natives_declared\": ${DECLARED:-null},"
    echo "  \"natives_exported\": ${EXPORTED:-null},"
    echo "  \"memory_stats_library\": \"${MEMORY_LIB:-}\","
    echo "  \"installed\": \"${INSTALLED:-}\","
    echo "  \"torch_lib\": \"$TORCH_LIB\""
    echo "}"
  } >"$WORK/build-report.json"
}

SKIPPED=()
for s in "${SKIP_UNITS[@]}"; do
  full="ai_djl_pytorch_jni_PyTorchLibrary_$s"
  [[ -f "$(unit_file "$full")" ]] || full="$s"
  [[ -f "$(unit_file "$full")" ]] || die "--skip-unit $s: no such unit (units: $(for u in "${UNITS[@]}"; do short_unit "$u"; done | tr '\n' ' '))"
  SKIPPED+=("$(short_unit "$full"): --skip-unit")
done

note "libtorch $VERSION ($FLAVOR, cxx11 abi $CXX11_ABI) from $TORCH_LIB; DJL $DJL_VERSION from $DJL_SRC"
for p in "${PATCHES[@]}"; do note "patch $p"; done
if (( PATCH_ONLY )); then
  write_report patched
  note "patched sources in $WORK/src (--patch-only); report $WORK/build-report.json"
  exit 0
fi

TO_BUILD=()
for u in "${UNITS[@]}"; do
  skip=0
  for s in "${SKIPPED[@]}"; do [[ "${s%%:*}" == "$(short_unit "$u")" ]] && skip=1; done
  (( skip )) || TO_BUILD+=("$u")
done

t0=$(date +%s)
export CXX WORK
printf '%s\n' "${TO_BUILD[@]}" | xargs -P "$JOBS" -I{} sh -c \
  '"$CXX" "$@" -c "$WORK/src/{}.cc" -o "$WORK/obj/{}.o" >"$WORK/logs/{}.log" 2>&1 || echo failed >"$WORK/logs/{}.failed"' \
  sh "${CXXFLAGS[@]}"

OBJECTS=()
for u in "${TO_BUILD[@]}"; do
  if [[ -f "$WORK/logs/$u.failed" ]]; then
    short="$(short_unit "$u")"
    first_error="$(grep -m1 'error' "$WORK/logs/$u.log" || tail -1 "$WORK/logs/$u.log")"
    if (( ! STRICT )) && [[ "$short" == inference || "$short" == ivalue ]]; then
      note "left out TorchScript-only unit $short: $first_error"
      SKIPPED+=("$short: $first_error")
    else
      COMPILE_SECONDS=$(( $(date +%s) - t0 ))
      write_report failed
      echo "---- $WORK/logs/$u.log (first errors)" >&2
      grep -m5 -A3 'error' "$WORK/logs/$u.log" >&2 || tail -20 "$WORK/logs/$u.log" >&2
      fail "unit $short does not compile against libtorch $VERSION (log $WORK/logs/$u.log)"
    fi
  else
    OBJECTS+=("$WORK/obj/$u.o")
  fi
done

LIBS=(-ltorch -ltorch_cpu -lc10)
[[ "$FLAVOR" == cu* ]] && LIBS+=(-ltorch_cuda -lc10_cuda)
"$CXX" -shared -o "$WORK/libdjl_torch.so" "${OBJECTS[@]}" -L"$TORCH_LIB" -Wl,--no-as-needed "${LIBS[@]}" \
  -Wl,-rpath,'$ORIGIN' -Wl,-rpath,"$TORCH_LIB" >"$WORK/logs/link.log" 2>&1 \
  || { COMPILE_SECONDS=$(( $(date +%s) - t0 )); write_report failed; cat "$WORK/logs/link.log" >&2; fail "link failed"; }

# the CUDA caching allocator's figures, which DJL's JNI does not expose (used by the real-size step benchmark)
MEMORY_LIB=""
if [[ "$FLAVOR" == cu* ]] && (( MEMORY_STATS )); then
  if "$CXX" "${CXXFLAGS[@]}" -shared -o "$WORK/libvlm3d_cuda_memory.so" "$HERE/jni/vlm3d_cuda_memory.cc" \
      -L"$TORCH_LIB" -Wl,--no-as-needed -lc10_cuda -lc10 -Wl,-rpath,"$TORCH_LIB" >"$WORK/logs/memory-stats.log" 2>&1; then
    MEMORY_LIB="$WORK/libvlm3d_cuda_memory.so"
  else
    note "the CUDA allocator statistics helper did not build (see $WORK/logs/memory-stats.log); the benchmark falls back to cudaMemGetInfo"
  fi
fi
COMPILE_SECONDS=$(( $(date +%s) - t0 ))

# every native the Java side declares should be exported, except those of the units left out
DECLARED="$(grep -c '^JNIEXPORT' "$WORK/include/ai_djl_pytorch_jni_PyTorchLibrary.h")"
EXPORTED="$(nm -D --defined-only "$WORK/libdjl_torch.so" | grep -c ' T Java_ai_djl_pytorch_jni_PyTorchLibrary_' || true)"
note "built $WORK/libdjl_torch.so in ${COMPILE_SECONDS}s with $JOBS jobs: $EXPORTED of $DECLARED natives exported"
if (( ${#SKIPPED[@]} == 0 )) && (( EXPORTED < DECLARED )); then
  write_report failed
  fail "only $EXPORTED of the $DECLARED natives of the header are in the library"
fi

mkdir -p "$(dirname "$INSTALL_PATH")"
cp "$WORK/libdjl_torch.so" "$INSTALL_PATH.tmp" && mv "$INSTALL_PATH.tmp" "$INSTALL_PATH"
INSTALLED="$INSTALL_PATH"
if [[ -n "$INSTALL_DIR" ]]; then
  mkdir -p "$INSTALL_DIR"
  cp "$WORK/libdjl_torch.so" "$INSTALL_DIR/$DJL_VERSION-libdjl_torch.so"
  INSTALLED="$INSTALLED $INSTALL_DIR/$DJL_VERSION-libdjl_torch.so"
fi
write_report built
note "installed $INSTALLED"
for s in "${SKIPPED[@]}"; do note "left out: $s"; done
cat <<EOF
# libdjl_torch.so for libtorch $VERSION ($FLAVOR) is installed; run the service with:
export PYTORCH_LIBRARY_PATH=$TORCH_LIB
export PYTORCH_VERSION=$VERSION
export PYTORCH_FLAVOR=$FLAVOR
export DJL_CACHE_DIR=$CACHE_DIR DJL_OFFLINE=true
EOF
if [[ -n "${ENGINE_CACHE_DIR:-}" && "$ENGINE_CACHE_DIR" != "$CACHE_DIR" ]]; then
  note "warning: ENGINE_CACHE_DIR=$ENGINE_CACHE_DIR is set and DJL reads it before DJL_CACHE_DIR; unset it or pass --cache-dir \"\$ENGINE_CACHE_DIR\""
fi
