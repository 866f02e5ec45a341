#!/usr/bin/env bash
# Compiles the CPU backend's native kernels (src/main/native/*.cpp: bf16_gemm.cpp, the AVX512_BF16 matrix product;
# bf16_softmax.cpp, the fused softmax of attention over a bf16 KV cache; bf16_kv_write.cpp, the packed bf16 KV write; and
# bf16_amx.cpp, AMX-BF16 tile products for attention over a bf16 KV cache) into a
# resource of the engine jar: io/hydragen/backend/cpu/native/linux-x86_64/libhydragen_bf16.so. The kernels carry
# their own target attribute, so the library is built (and loads) on any x86-64; Java calls them only on a CPU that
# has AVX512_BF16. Without g++ ($CXX), off Linux x86-64, or with HYDRAGEN_SKIP_NATIVE=true it prints a note and
# builds nothing: the engine then runs bf16 weights through widened fp32 panels, and `auto` picks fp32.
#
# Usage: build-native.sh SRC_DIR OUT_DIR
set -euo pipefail
src="$1"
out="$2/io/hydragen/backend/cpu/native/linux-x86_64"
lib="$out/libhydragen_bf16.so"
cxx="${CXX:-g++}"

skip() { echo "[hydragen-engine] $1: building without the BF16 kernel"; rm -f "$lib"; exit 0; }
[[ "${HYDRAGEN_SKIP_NATIVE:-false}" == "true" ]] && skip "HYDRAGEN_SKIP_NATIVE=true"
[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] || skip "not Linux x86-64"
command -v "$cxx" >/dev/null 2>&1 || skip "$cxx not found on PATH"
if [[ -s "$lib" && "$lib" -nt "$0" && -z "$(find "$src" -name '*.cpp' -newer "$lib")" ]]; then exit 0; fi
mkdir -p "$out"
"$cxx" -O3 -std=c++17 -fPIC -shared -fno-exceptions -static-libgcc -Wall -Werror -o "$lib.tmp" "$src"/*.cpp \
  || skip "$cxx failed (a compiler without AVX512_BF16 support?)"
mv "$lib.tmp" "$lib"
echo "[hydragen-engine] BF16 kernel built with $("$cxx" --version | head -1)"
