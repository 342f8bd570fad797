#!/usr/bin/env bash
# The GPU bring-up in one call, on a machine with Python's torch but no Java (docs/gpu-bringup.md):
#   1. unpacks the bundle's JRE (tools/gpu/bundle.sh made the bundle);
#   2. builds DJL 0.35.1's JNI against the host's torch (parallel), or installs one built by an earlier call (--jni);
#   3. smoke test: `generate --device gpu0 --preset preview` with the tiny models;
#   4. the real-size step benchmark (dev.vlm3d.bench.RealSizeStepBenchmark), FP32 and FP16_WEIGHTS, phases A and B;
#   5. writes every figure to $OUT/results.json, with the JNI library, the smoke run's model.glb and the log beside it.
# Each stage is timed and bounded so the whole fits one 10-minute device call; a failed stage is recorded and the
# next one still runs where it can.
#
# Usage: tools/gpu/run.sh [--bundle DIR] [--jni DIR] [--out DIR] [--device gpu0] [--budget-seconds 540]
#          [--torch DIR | --torch-include DIR --torch-lib DIR] [--cxxflags FLAGS] [--smoke-steps N]
#          [--bench-args "ARGS"] [--skip-bench]
#   --bundle DIR   the bundle (default: .gpu-bundle at the repository root)
#   --jni DIR      a folder holding libdjl_torch.so (and libvlm3d_cuda_memory.so) from an earlier call: no compile
#   --out DIR      where the results go (default: $OUT, else ./gpu-out)
#   --torch DIR    torch folder (default: python3's site-packages/torch)
#   --bench-args   replaces the benchmark's arguments (default: real size, both modes, both phases, 1+3 steps)
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BUNDLE="$REPO/.gpu-bundle" JNI_DIR="" OUT_DIR="${OUT:-$PWD/gpu-out}" DEVICE=gpu0 BUDGET=540
TORCH="" TORCH_INC="" TORCH_LIB="" CXXFLAGS_EXTRA="" SMOKE_STEPS="" BENCH_ARGS="" SKIP_BENCH=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --bundle) BUNDLE="$2"; shift 2 ;;
    --jni) JNI_DIR="$2"; shift 2 ;;
    --out) OUT_DIR="$2"; shift 2 ;;
    --device) DEVICE="$2"; shift 2 ;;
    --budget-seconds) BUDGET="$2"; shift 2 ;;
    --torch) TORCH="$2"; shift 2 ;;
    --torch-include) TORCH_INC="$2"; shift 2 ;;
    --torch-lib) TORCH_LIB="$2"; shift 2 ;;
    --cxxflags) CXXFLAGS_EXTRA="$2"; shift 2 ;;
    --smoke-steps) SMOKE_STEPS="$2"; shift 2 ;;
    --bench-args) BENCH_ARGS="$2"; shift 2 ;;
    --skip-bench) SKIP_BENCH=1; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

[[ -f "$BUNDLE/jre.tar.xz" && -d "$BUNDLE/lib" && -d "$BUNDLE/classes" && -d "$BUNDLE/djl" ]] \
  || { echo "run.sh: $BUNDLE is not a bundle (make one with tools/gpu/bundle.sh)" >&2; exit 2; }
BUNDLE="$(cd "$BUNDLE" && pwd)"
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
LOG="$OUT_DIR/run.log"
exec > >(tee -a "$LOG") 2>&1
WORK="${TMPDIR:-/tmp}/vlm3d-gpu"
rm -rf "$WORK"; mkdir -p "$WORK"
T0=$(date +%s.%N)
elapsed() { echo "$(date +%s.%N) $T0" | awk '{printf "%.1f", $1 - $2}'; }
left() { echo "$BUDGET $(elapsed)" | awk '{printf "%d", $1 - $2}'; }
declare -A STAGE_SECONDS STAGE_STATUS
stage() { echo; echo "==== [$(elapsed) s] $*"; }
json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1" 2>/dev/null || printf '"%s"' "${1//\"/\'}"; }

# ---------------------------------------------------------------- 0. the machine
stage "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | tee "$WORK/gpu.txt" || true
if [[ -z "$TORCH" && -z "$TORCH_LIB" ]]; then
  TORCH="$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null)" \
    || { echo "run.sh: no python3 torch here; pass --torch DIR" >&2; exit 2; }
fi
TORCH_INFO="$(python3 -c 'import torch; print(torch.__version__, torch.version.cuda, torch._C._GLIBCXX_USE_CXX11_ABI)' 2>/dev/null || echo unknown)"
echo "torch: ${TORCH:-$TORCH_LIB} ($TORCH_INFO); $(nproc) cores"

# ---------------------------------------------------------------- 1. JRE
stage "unpacking the JRE"
t=$(date +%s.%N)
tar -C "$WORK" -xJf "$BUNDLE/jre.tar.xz" && JAVA_HOME="$WORK/jre" && "$JAVA_HOME/bin/java" -version 2>&1 | head -1
STAGE_SECONDS[jre]=$(echo "$(date +%s.%N) $t" | awk '{printf "%.1f", $1 - $2}')
[[ -x "$WORK/jre/bin/java" ]] || { echo "run.sh: the JRE did not unpack" >&2; exit 1; }

# ---------------------------------------------------------------- 2. JNI
stage "JNI for this libtorch"
TORCH_ARGS=()
[[ -n "$TORCH" ]] && TORCH_ARGS+=(--torch "$TORCH")
[[ -n "$TORCH_INC" ]] && TORCH_ARGS+=(--torch-include "$TORCH_INC")
[[ -n "$TORCH_LIB" ]] && TORCH_ARGS+=(--torch-lib "$TORCH_LIB")
BUILD=("$HERE/build-djl-jni.sh" --djl "$BUNDLE/djl" "${TORCH_ARGS[@]}" \
  --jni-header "$BUNDLE/djl/jni-header/ai_djl_pytorch_jni_PyTorchLibrary.h" --java-home "$JAVA_HOME" \
  --cache-dir "$WORK/djl-cache" --work "$WORK/jni-build" --jobs "$(nproc)")
[[ -n "$CXXFLAGS_EXTRA" ]] && BUILD+=(--cxxflags "$CXXFLAGS_EXTRA")
t=$(date +%s.%N)
MEMORY_LIB=""
if [[ -n "$JNI_DIR" && -f "$JNI_DIR/libdjl_torch.so" ]]; then
  dest="$("${BUILD[@]}" --print-install-path)" && mkdir -p "$(dirname "$dest")" && cp "$JNI_DIR/libdjl_torch.so" "$dest" \
    && STAGE_STATUS[jni]="carried" || STAGE_STATUS[jni]="failed"
  [[ -f "$JNI_DIR/libvlm3d_cuda_memory.so" ]] && MEMORY_LIB="$JNI_DIR/libvlm3d_cuda_memory.so"
  echo "installed the carried $JNI_DIR/libdjl_torch.so at $dest"
else
  if "${BUILD[@]}" >"$WORK/jni-env.sh"; then
    STAGE_STATUS[jni]="built"
    cp "$WORK/jni-build/libdjl_torch.so" "$OUT_DIR/"
    if [[ -f "$WORK/jni-build/libvlm3d_cuda_memory.so" ]]; then
      MEMORY_LIB="$WORK/jni-build/libvlm3d_cuda_memory.so"; cp "$MEMORY_LIB" "$OUT_DIR/"
    fi
  else
    STAGE_STATUS[jni]="failed"
  fi
  [[ -f "$WORK/jni-build/build-report.json" ]] && cp "$WORK/jni-build/build-report.json" "$OUT_DIR/jni-build-report.json"
fi
STAGE_SECONDS[jni]=$(echo "$(date +%s.%N) $t" | awk '{printf "%.1f", $1 - $2}')
echo "JNI: ${STAGE_STATUS[jni]} in ${STAGE_SECONDS[jni]} s"

# the environment DJL's offline lookup reads (tools/gpu/build-djl-jni.sh prints it; recomputed for a carried JNI)
INSTALLED="$("${BUILD[@]}" --print-install-path 2>/dev/null)"
FLAVOR_DIR="$(basename "$(dirname "$INSTALLED")")"            # <version>-<flavor>-linux-x86_64
export PYTORCH_VERSION="${FLAVOR_DIR%%-*}"
rest="${FLAVOR_DIR#*-}"; export PYTORCH_FLAVOR="${rest%-linux-*}"
export PYTORCH_LIBRARY_PATH="${TORCH_LIB:-$TORCH/lib}" DJL_CACHE_DIR="$WORK/djl-cache" DJL_OFFLINE=true OPT_OUT_TRACKING=true
# JNA (DJL's CudaUtils: GPU count, cudaMemGetInfo) needs a libcudart it can load; pip wheels keep it under nvidia/
# and looks for the unversioned name, which those folders lack: link one
CUDART="$(find "${TORCH:-$TORCH_LIB}/.." /usr/local/cuda/lib64 -maxdepth 4 -name 'libcudart.so*' 2>/dev/null | sort | tail -1)"
CUDART_DIR=""
if [[ -n "$CUDART" ]]; then CUDART_DIR="$WORK/cudart"; mkdir -p "$CUDART_DIR"; ln -sf "$CUDART" "$CUDART_DIR/libcudart.so"; fi
export LD_LIBRARY_PATH="${CUDART_DIR:+$CUDART_DIR:}${LD_LIBRARY_PATH:-}:$JAVA_HOME/lib/system"
echo "PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH PYTORCH_VERSION=$PYTORCH_VERSION PYTORCH_FLAVOR=$PYTORCH_FLAVOR cudart=${CUDART:-none}"
CP="$BUNDLE/classes:$(find "$BUNDLE/lib" -name '*.jar' | sort | paste -sd:)"
JAVA=("$JAVA_HOME/bin/java" -Djava.awt.headless=true -Dai.djl.offline=true -Xmx16g ${CUDART_DIR:+-Djna.library.path=$CUDART_DIR} -cp "$CP")

# ---------------------------------------------------------------- 3. smoke test
stage "smoke test: generate --device $DEVICE --preset preview (tiny models)"
t=$(date +%s.%N)
SMOKE=(--prompt "a red apple" --device "$DEVICE" --preset preview --out "$WORK/smoke" --cache-dir "$WORK/tiny-models")
[[ -n "$SMOKE_STEPS" ]] && SMOKE+=(--steps "$SMOKE_STEPS")
if [[ "${STAGE_STATUS[jni]}" == failed ]]; then
  STAGE_STATUS[smoke]="not run: no JNI"
else
  timeout $(( $(left) > 60 ? ($(left) < 240 ? $(left) : 240) : 60 )) "${JAVA[@]}" dev.vlm3d.pipeline.cli.GenerateCommand "${SMOKE[@]}" \
    2> >(tee "$WORK/smoke.err" >&2)
  rc=$?
  STAGE_STATUS[smoke]="exit $rc"
  [[ -f "$WORK/smoke/model.glb" ]] && cp "$WORK/smoke/model.glb" "$OUT_DIR/model.glb"
fi
STAGE_SECONDS[smoke]=$(echo "$(date +%s.%N) $t" | awk '{printf "%.1f", $1 - $2}')
SMOKE_LAST="$(tr '\r' '\n' <"$WORK/smoke.err" 2>/dev/null | grep -E '^\[#' | tail -1)"
echo "smoke: ${STAGE_STATUS[smoke]} in ${STAGE_SECONDS[smoke]} s; last progress: $SMOKE_LAST"

# ---------------------------------------------------------------- 4. benchmark
stage "real-size step benchmark"
t=$(date +%s.%N)
if (( SKIP_BENCH )) || [[ "${STAGE_STATUS[jni]}" == failed ]]; then
  STAGE_STATUS[bench]="not run"
else
  # what is left of the call, less a margin for writing the results
  bench_budget=$(( $(left) - 45 ))
  if (( bench_budget < 30 )); then
    STAGE_STATUS[bench]="not run: no time left"
  else
    read -r -a EXTRA <<<"${BENCH_ARGS:---size real --modes FP32,FP16_WEIGHTS --phases A,B --warmup 1 --steps 3}"
    # an independent figure: the device's memory in use, every 200 ms, as nvidia-smi sees it (context included)
    SMI_PID=""
    if command -v nvidia-smi >/dev/null 2>&1; then
      nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$WORK/smi-memory.txt" 2>/dev/null &
      SMI_PID=$!
    fi
    timeout $(( bench_budget + 30 )) "${JAVA[@]}" ${MEMORY_LIB:+-Dvlm3d.cudaMemoryLib=$MEMORY_LIB} \
      dev.vlm3d.bench.RealSizeStepBenchmark --device "$DEVICE" "${EXTRA[@]}" --budget-seconds "$bench_budget" \
      --json "$WORK/realsize.json"
    STAGE_STATUS[bench]="exit $?"
    [[ -n "$SMI_PID" ]] && kill "$SMI_PID" 2>/dev/null
  fi
fi
STAGE_SECONDS[bench]=$(echo "$(date +%s.%N) $t" | awk '{printf "%.1f", $1 - $2}')

# ---------------------------------------------------------------- 5. results
stage "results"
{
  echo "{"
  echo "  \"bundle\": $(cat "$BUNDLE/bundle.json" 2>/dev/null || echo null),"
  echo "  \"gpu\": $(json_str "$(cat "$WORK/gpu.txt" 2>/dev/null)"),"
  echo "  \"torch\": $(json_str "${TORCH:-$TORCH_LIB} $TORCH_INFO"),"
  echo "  \"cores\": $(nproc),"
  echo "  \"pytorch_env\": {\"PYTORCH_LIBRARY_PATH\": $(json_str "$PYTORCH_LIBRARY_PATH"), \"PYTORCH_VERSION\": $(json_str "$PYTORCH_VERSION"), \"PYTORCH_FLAVOR\": $(json_str "$PYTORCH_FLAVOR")},"
  echo "  \"stages\": {"
  echo "    \"jre\": {\"seconds\": ${STAGE_SECONDS[jre]}},"
  echo "    \"jni\": {\"status\": $(json_str "${STAGE_STATUS[jni]}"), \"seconds\": ${STAGE_SECONDS[jni]}, \"report\": $(cat "$WORK/jni-build/build-report.json" 2>/dev/null || echo null)},"
  echo "    \"smoke\": {\"status\": $(json_str "${STAGE_STATUS[smoke]}"), \"seconds\": ${STAGE_SECONDS[smoke]}, \"glb_bytes\": $(stat -c %s "$WORK/smoke/model.glb" 2>/dev/null || echo null), \"last_progress\": $(json_str "$SMOKE_LAST")},"
  echo "    \"bench\": {\"status\": $(json_str "${STAGE_STATUS[bench]}"), \"seconds\": ${STAGE_SECONDS[bench]}, \"nvidia_smi_peak_used_mib\": $(sort -n "$WORK/smi-memory.txt" 2>/dev/null | tail -1 | grep -E '^[0-9]+$' || echo null), \"result\": $(cat "$WORK/realsize.json" 2>/dev/null || echo null)}"
  echo "  },"
  echo "  \"total_seconds\": $(elapsed)"
  echo "}"
} >"$OUT_DIR/results.json"
if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT_DIR/results.json" 2>/dev/null; then
  echo "wrote $OUT_DIR/results.json"
else
  echo "run.sh: results.json is not valid JSON (a stage wrote something odd); see run.log" >&2
fi
ls -la "$OUT_DIR"
