#!/usr/bin/env bash
# Create .venv and install the project. Usage: scripts/setup.sh [EXTRAS]   e.g. "dev"
# Re-running is cheap: it reinstalls only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=".venv/.installed-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)-${extras:-base}"
[ -f "$stamp" ] && exit 0

echo "installing into .venv (first time: a minute or two${extras:+; the test extras compile llama.cpp, about 6 more}) ..."
.venv/bin/pip install -q --upgrade pip
find_links=()
build_pid=""
if [[ "$extras" == *dev* || "$extras" == *local-llm* ]]; then
  # llama.cpp compiled with native flags uses whatever the build CPU has (AMX, AVX-512) and
  # dies with SIGSEGV on another CPU, or even on this one. Build it portably, into a wheel
  # folder of our own: pip's wheel cache would silently reuse a native build made earlier.
  version=$(grep -o 'llama-cpp-python\[server\]==[0-9.]*' pyproject.toml | cut -d= -f3)
  wheels=".wheels/llama-cpp-portable"
  if ! ls "$wheels"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
    echo "building llama-cpp-python $version without native CPU flags (about 6 minutes) ..."
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAVA_BUILD=OFF" \
      CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
      .venv/bin/pip wheel -q --no-cache-dir --no-deps -w "$wheels" "llama-cpp-python==$version" &
    build_pid=$!
    # Meanwhile, the rest: downloads overlap the compile.
    .venv/bin/pip install -q -e ".[charts]"
  fi
  # --only-binary: never fall back to compiling the sdist natively.
  find_links=(--find-links "$wheels" --only-binary llama-cpp-python)
fi
[ -n "$build_pid" ] && wait "$build_pid"
spec="."
[ -n "$extras" ] && spec=".[$extras]"
.venv/bin/pip install -q "${find_links[@]}" -e "$spec"
rm -f .venv/.installed-*
touch "$stamp"
