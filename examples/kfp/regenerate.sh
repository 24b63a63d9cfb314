#!/usr/bin/env bash
# Recompiles every example with the real kfp SDK
# (pip install kfp==2.17.3 kfp-kubernetes==2.17.3; cluster_settings.py needs the latter).
set -euo pipefail
cd "$(dirname "$0")"
for source in *.py; do
  python3 "$source"
done
