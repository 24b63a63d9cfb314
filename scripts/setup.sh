#!/usr/bin/env bash
# Installs what building Ferroflow needs, and with --test what testing needs.
# Idempotent: each step checks first and skips what is already there.
#
#   build: the wasm32 target, wasm-bindgen-cli (the exact version in
#          Cargo.lock), npm's binaryen (wasm-opt), playwright-core and axe-core
#   test:  Debian's chromium (for the end2end tests)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif have sudo; then sudo "$@"
  else echo "error: '$*' needs root; run it as root or install sudo" >&2; exit 1
  fi
}

for tool in cargo rustup node npm; do
  have "$tool" || { echo "error: $tool is not installed; Ferroflow needs Rust (rustup) and Node.js with npm" >&2; exit 1; }
done

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown || {
    echo "error: cannot add the wasm32-unknown-unknown target (is the rustup distribution server reachable?)" >&2
    exit 1
  }
fi

# The CLI must equal the wasm-bindgen crate in Cargo.lock, or the generated
# glue does not match the wasm. Installed without --locked: with it,
# dependency resolution fails (see README, "Toolchain choices").
wanted=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
have_version=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have_version" != "$wanted" ]; then
  step "installing wasm-bindgen-cli $wanted (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$wanted" --force
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing npm dev tools (binaryen, playwright-core, axe-core)"
  npm ci --no-audit --no-fund
fi

# Notebook servers run locally as real JupyterLab processes (the `jupyter`
# server type); Ferroflow finds `jupyter` in .venv/bin or on PATH.
if ! .venv/bin/python -c 'import jupyterlab, sys; sys.exit(jupyterlab.__version__ != "4.6.6")' 2>/dev/null; then
  step "installing jupyterlab 4.6.6 into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'jupyterlab==4.6.6'
fi

if [ "${1:-}" = "--test" ]; then
  # The real kfp SDK runs the lightweight Python components of the example
  # pipelines (kfp.dsl.executor_main); the version they were compiled with.
  if ! .venv/bin/python -c 'import kfp, sys; sys.exit(kfp.__version__ != "2.17.3")' 2>/dev/null; then
    step "installing kfp 2.17.3 into .venv"
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'kfp==2.17.3'
  fi
  # Hera, the Argo Python SDK, drives Ferroflow's Argo server API in tests.
  if ! .venv/bin/python -c 'import importlib.metadata as m, sys; sys.exit(m.version("hera") != "7.1.0")' 2>/dev/null; then
    step "installing hera 7.1.0 into .venv"
    .venv/bin/pip install --quiet --disable-pip-version-check 'hera==7.1.0'
  fi
  if [ ! -x /usr/bin/chromium ]; then
    step "installing Debian's chromium for the end2end tests"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
  fi
fi
step "setup complete"
