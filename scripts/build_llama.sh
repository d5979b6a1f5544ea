#!/usr/bin/env bash
# Build llama-cpp-python (the version pinned in pyproject.toml) once, portably, into .wheels/.
# llama.cpp compiled with native flags uses whatever the build CPU has (AMX, AVX-512) and dies
# with SIGSEGV on another CPU, or even on this one; pip's wheel cache would silently reuse such
# a build, so the wheel lives in a folder of our own and pip is told to take only it.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(grep -o 'llama-cpp-python\[server\]==[0-9.]*' pyproject.toml | cut -d= -f3)
wheels=".wheels/llama-cpp-portable"
ls "$wheels"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1 && exit 0
[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
echo "building llama-cpp-python $version without native CPU flags (about 6-8 minutes) ..."
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAVA_BUILD=OFF" \
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
  .venv/bin/pip wheel -q --no-cache-dir --no-deps -w "$wheels" "llama-cpp-python==$version"
