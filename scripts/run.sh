#!/usr/bin/env bash
# Quickstart command 1: install what uv.lock pins for the app (not the test tools), then serve it.
#   bash scripts/run.sh                         -> http://localhost:8501
#   bash scripts/run.sh --server.port 8600      (extra arguments go to `streamlit run`)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
atlas_sync --no-dev

port_args=(--server.port 8501)
for arg in "$@"; do
    case "$arg" in --server.port|--server.port=*) port_args=() ;; esac
done
# `streamlit run`, with the heavy libraries imported before the server listens (layers/server.py),
# so the first visitor does not wait for them
exec "$ATLAS_UV" run --frozen --no-sync python -m layers.server run app.py "${port_args[@]}" "$@"
