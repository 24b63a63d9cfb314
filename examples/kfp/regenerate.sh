#!/usr/bin/env bash
# Recompiles every example with the real kfp SDK (pip install kfp).
set -euo pipefail
cd "$(dirname "$0")"
for source in *.py; do
  python3 "$source"
done
