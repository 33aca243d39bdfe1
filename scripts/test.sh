#!/usr/bin/env bash
# Quickstart command 2: install everything uv.lock pins plus Debian's Chromium and HAProxy, check the code
# (ruff check, ruff format --check, node --check on every JS file of ours), then run the whole
# test suite, browser tests included. Extra arguments go to pytest. Exits non-zero when a check
# or a test fails (the tests run either way). A missing browser is an error here, never a skip.
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh -m browser -x   # only the browser tests
# ATLAS_CHROMIUM=/path/to/chromium points the browser tests at another Chromium build.
# The database tests get a throwaway PostgreSQL + PostGIS cluster (scripts/pg_cluster.sh, which
# installs Debian's packages when missing), stopped at the end; ATLAS_TEST_DATABASE_URL=postgresql://...
# points them at a server of yours instead (each test creates and drops a database of its own).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"

ensure_chromium() {
    local exe="${ATLAS_CHROMIUM:-/usr/bin/chromium}"
    if [ -x "$exe" ]; then return 0; fi
    if [ "$exe" = /usr/bin/chromium ]; then atlas_apt_install chromium || true; fi
    [ -x "$exe" ] || atlas_die "no Chromium at $exe: the browser tests cannot run.
    On Debian/Ubuntu: apt-get install -y chromium; elsewhere set ATLAS_CHROMIUM=/path/to/chromium.
    (Never a downloaded browser build: 'playwright install' is not used by this project.)"
}

start_database() {  # a throwaway PostgreSQL + PostGIS cluster for tests/test_db.py, stopped on exit
    [ -n "${ATLAS_TEST_DATABASE_URL:-}" ] && return 0  # a server of the caller's
    local started
    if ! started="$(bash "$ATLAS_ROOT/scripts/pg_cluster.sh" start)"; then
        atlas_say "no throwaway PostgreSQL cluster (reason above): the database tests will fail"
        return 0
    fi
    ATLAS_PG_DIR="${started%% *}"
    export ATLAS_TEST_DATABASE_URL="${started#* }"
    trap 'bash "$ATLAS_ROOT/scripts/pg_cluster.sh" stop "$ATLAS_PG_DIR"' EXIT
    atlas_say "PostgreSQL + PostGIS for the tests at $ATLAS_TEST_DATABASE_URL"
}

lint() {  # every check runs; non-zero when any failed
    local failed=0 js
    "$ATLAS_UV" run --frozen --no-sync ruff check --quiet . || failed=1
    "$ATLAS_UV" run --frozen --no-sync ruff format --check --quiet . || failed=1
    command -v node >/dev/null 2>&1 || atlas_die "node is needed to check the JavaScript files"
    while IFS= read -r -d '' js; do
        node --check "$js" || { atlas_say "node --check failed: $js"; failed=1; }
    done < <(git ls-files -z --cached --others --exclude-standard -- '*.js')
    [ "$failed" = 0 ] && atlas_say "lint: ruff check, ruff format --check, node --check passed"
    return "$failed"
}

atlas_sync
ensure_chromium
atlas_ensure_haproxy  # tests/test_balance.py checks and runs the balancer
cd "$ATLAS_ROOT"
start_database
set +e
lint
lint_status=$?
"$ATLAS_UV" run --frozen --no-sync pytest "$@"
status=$?
set -e
[ "$lint_status" = 0 ] || { atlas_say "ERROR: the lint checks above failed"; [ "$status" = 0 ] && status=1; }
exit "$status"
