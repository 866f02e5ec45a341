#!/usr/bin/env bash
# Compiles the CUDA kernel families (src/main/cuda/<family>.cu) ahead of time into resources of the
# hydragen-kernels jar:
#   io/hydragen/kernels/<arch>/<family>.ptx    PTX, JIT-compiled by the driver (forward compatible)
#   io/hydragen/kernels/<arch>/<family>.cubin  SASS for that architecture (ptxas on the same PTX;
#                                              this also proves the PTX assembles)
#   io/hydragen/kernels/kernels.properties     what was built, read by KernelLibrary
# Architectures: sm_80 (Ampere, portable mma.sync path) and sm_90 (Hopper); families listed in
# HOPPER_FAMILIES are also built for sm_90a (wgmma/setmaxnreg need it).
# Where nvcc is absent (or HYDRAGEN_SKIP_NVCC=true) it prints a note and produces nothing: the build
# passes and the CUDA backend reports that no kernels are packaged.
#
# Usage: build-ptx.sh [SRC_DIR] [OUT_DIR]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
src="${1:-$here/src/main/cuda}"
out="${2:-$here/target/generated-resources/ptx}"
pkg="io/hydragen/kernels"
archs=(sm_80 sm_90)
HOPPER_FAMILIES="${HOPPER_FAMILIES:-}"   # none yet: see the TODO(sm_90a) in gemm.cu
jobs="${HYDRAGEN_NVCC_JOBS:-$(nproc 2>/dev/null || echo 2)}"

if [[ "${HYDRAGEN_SKIP_NVCC:-false}" == "true" ]]; then
  echo "[hydragen-kernels] HYDRAGEN_SKIP_NVCC=true: building without CUDA kernels"
  rm -rf "$out/$pkg"
  exit 0
fi
if ! command -v nvcc >/dev/null 2>&1; then
  echo "[hydragen-kernels] nvcc not found on PATH: building without CUDA kernels (the CUDA backend will report that none are packaged)"
  rm -rf "$out/$pkg"
  exit 0
fi

nvcc_version="$(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p' | head -1)"
mkdir -p "$out/$pkg"
families=()
for f in "$src"/*.cu; do families+=("$(basename "$f" .cu)"); done

# One job per (family, arch): "family arch gencode".
joblist="$(mktemp)"
trap 'rm -f "$joblist"' EXIT
for fam in "${families[@]}"; do
  for a in "${archs[@]}"; do echo "$fam $a ${a#sm_}" >> "$joblist"; done
  for h in $HOPPER_FAMILIES; do
    [[ "$h" == "$fam" ]] && echo "$fam sm_90a 90a" >> "$joblist"
  done
done

compile_one() {
  local fam="$1" arch="$2" cc="$3"
  local dir="$OUT_DIR/$PKG/$arch" ptx cubin
  ptx="$dir/$fam.ptx"; cubin="$dir/$fam.cubin"
  mkdir -p "$dir"
  # Up to date when newer than the source, every shared header and this script.
  if [[ -s "$ptx" && -s "$cubin" ]]; then
    local stale=0 dep
    for dep in "$SRC_DIR/$fam.cu" "$SRC_DIR"/*.cuh "$SCRIPT"; do
      [[ -e "$dep" && "$dep" -nt "$cubin" ]] && stale=1
    done
    [[ $stale == 0 ]] && return 0
  fi
  nvcc -ptx -std=c++17 -O3 -gencode="arch=compute_${cc},code=compute_${cc}" -I"$SRC_DIR" "$SRC_DIR/$fam.cu" -o "$ptx.tmp"
  mv "$ptx.tmp" "$ptx"
  ptxas -O3 -arch="$arch" "$ptx" -o "$cubin.tmp"
  mv "$cubin.tmp" "$cubin"
  echo "[hydragen-kernels] $arch/$fam"
}
export -f compile_one
export SRC_DIR="$src" OUT_DIR="$out" PKG="$pkg" SCRIPT="$here/build-ptx.sh"

start=$(date +%s)
xargs -P "$jobs" -L 1 bash -c 'compile_one "$0" "$1" "$2"' < "$joblist"

{
  echo "# Written by kernels/build-ptx.sh"
  echo "nvcc.version=$nvcc_version"
  echo "families=$(IFS=,; echo "${families[*]}")"
  echo "archs=$(IFS=,; echo "${archs[*]}")"
  echo "hopper.families=$(echo $HOPPER_FAMILIES | tr ' ' ',')"
} > "$out/$pkg/kernels.properties"
echo "[hydragen-kernels] ${#families[@]} families for ${archs[*]} with nvcc $nvcc_version in $(( $(date +%s) - start ))s"
