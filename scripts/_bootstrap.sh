# Shared set-up for scripts/run.sh and scripts/test.sh (sourced, not run).
#
# On a fresh machine with only Python >= 3.11 and the package registries reachable:
#   1. pick the interpreter (python3.11, else python3/python if it is 3.11-3.13);
#   2. find uv (on PATH, or installed earlier by this script), else install the pinned uv
#      with `pip install --user`, falling back to a small bootstrap venv in the user cache;
#   3. `uv sync --frozen`: install exactly what uv.lock pins into .venv (extra arguments, e.g.
#      `--no-dev` for serving the app, go to uv sync).
# Every step is idempotent: a second run finds everything in place and only checks it.
# Never downloads a Python build (UV_PYTHON_DOWNLOADS=never).

ATLAS_UV_VERSION="0.13.9"     # the uv that wrote uv.lock; any uv >= ATLAS_UV_MIN reads it
ATLAS_UV_MIN="0.13.0"
ATLAS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export UV_PYTHON_DOWNLOADS=never

atlas_say() { printf '[atlas] %s\n' "$*" >&2; }
atlas_die() { printf '[atlas] ERROR: %s\n' "$*" >&2; exit 1; }

_atlas_version_ge() {  # _atlas_version_ge HAVE WANT -> true when HAVE >= WANT
    [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

atlas_pick_python() {
    local candidate path
    for candidate in python3.11 python3 python; do
        path="$(command -v "$candidate" 2>/dev/null)" || continue
        if "$path" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 14)))' \
            2>/dev/null; then
            ATLAS_PYTHON="$path"
            export UV_PYTHON="$path"
            return 0
        fi
    done
    atlas_die "no Python 3.11-3.13 found (tried python3.11, python3, python). Install Python 3.11."
}

_atlas_uv_ok() {  # _atlas_uv_ok EXE -> true when EXE runs and is new enough for uv.lock
    local have
    have="$("$1" --version 2>/dev/null | awk '{print $2}')" || return 1
    [ -n "$have" ] && _atlas_version_ge "$have" "$ATLAS_UV_MIN"
}

_atlas_uv_from_python() {  # the uv binary that the uv package of interpreter $1 ships, if any
    "$1" -c 'import uv; print(uv.find_uv_bin())' 2>/dev/null
}

atlas_find_uv() {
    local exe bootstrap_dir
    bootstrap_dir="${XDG_CACHE_HOME:-$HOME/.cache}/mexico-cluster-atlas/uv-bootstrap"
    for exe in "$(command -v uv 2>/dev/null)" \
               "$(_atlas_uv_from_python "$ATLAS_PYTHON")" \
               "$bootstrap_dir/bin/uv"; do
        if [ -n "$exe" ] && _atlas_uv_ok "$exe"; then ATLAS_UV="$exe"; return 0; fi
    done

    atlas_say "installing uv $ATLAS_UV_VERSION (pip --user) ..."
    if "$ATLAS_PYTHON" -m pip install --quiet --user "uv==$ATLAS_UV_VERSION" >/dev/null 2>&1; then
        exe="$(_atlas_uv_from_python "$ATLAS_PYTHON")"
        if [ -n "$exe" ] && _atlas_uv_ok "$exe"; then ATLAS_UV="$exe"; return 0; fi
    fi
    atlas_say "pip --user not possible here; using a bootstrap venv in $bootstrap_dir ..."
    rm -rf "$bootstrap_dir"
    "$ATLAS_PYTHON" -m venv "$bootstrap_dir" \
        || atlas_die "could not create a venv (on Debian: apt-get install python3-venv)"
    "$bootstrap_dir/bin/python" -m pip install --quiet "uv==$ATLAS_UV_VERSION" \
        || atlas_die "could not install uv==$ATLAS_UV_VERSION from PyPI"
    _atlas_uv_ok "$bootstrap_dir/bin/uv" || atlas_die "uv in $bootstrap_dir does not run"
    ATLAS_UV="$bootstrap_dir/bin/uv"
}

atlas_sync() {  # what uv.lock pins, into $ATLAS_ROOT/.venv; arguments go to uv sync
    atlas_pick_python
    atlas_find_uv
    cd "$ATLAS_ROOT"
    "$ATLAS_UV" sync --frozen --quiet "$@" \
        || atlas_die "uv sync --frozen failed (is uv.lock in step with pyproject.toml?)"
    unset UV_PYTHON  # chosen for the sync; `uv run` now uses .venv as it is
}

atlas_apt_install() {  # atlas_apt_install PACKAGE: Debian's package via apt-get (as root, or sudo -n)
    local sudo=()
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            atlas_die "$1 is missing and this user cannot install it.
    Run:  sudo apt-get update && sudo apt-get install -y $1   (then re-run this script)"
        fi
    fi
    atlas_say "installing Debian's $1 (apt-get) ..."
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

atlas_ensure_haproxy() {  # the load balancer of scripts/balance.sh (Debian 12: HAProxy 2.6)
    command -v haproxy >/dev/null 2>&1 && return 0
    atlas_apt_install haproxy || true
    command -v haproxy >/dev/null 2>&1 || atlas_die "haproxy is missing: apt-get install -y haproxy
    (Debian/Ubuntu), or your system's HAProxy >= 2.4 on PATH."
}
