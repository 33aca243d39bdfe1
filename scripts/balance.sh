#!/usr/bin/env bash
# Many viewers: N replicas of the atlas behind HAProxy (cookie affinity, websocket tunnels, health
# checks on /_stcore/health). Installs HAProxy (Debian's) and the app's pinned packages when
# missing, then runs scripts/balance.py, which starts the replicas, renders the HAProxy config
# from scripts/haproxy.cfg.template into a run folder, and stops everything on Ctrl-C / SIGTERM.
#   bash scripts/balance.sh                 # 3 replicas -> http://<this machine>:8500/
#   bash scripts/balance.sh 2 --port 8600   # 2 replicas on port 8600
#   bash scripts/balance.sh 3 --bind 127.0.0.1 --run-dir /tmp/atlas-lb
# ATLAS_DATABASE_URL, when set, is passed to every replica (one shared database).
# Kill one replica (e.g. to test failover): kill -9 "$(cat <run folder>/r1.pid)".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
atlas_ensure_haproxy
atlas_sync  # everything uv.lock pins (a `--no-dev` sync would remove the test tools from a developer's .venv)
# exec: SIGTERM and Ctrl-C reach balance.py itself, which stops HAProxy and the replicas
exec "$ATLAS_ROOT/.venv/bin/python" "$ATLAS_ROOT/scripts/balance.py" "$@"
