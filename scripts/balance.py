"""N atlas replicas behind HAProxy, run and stopped as one (scripts/balance.sh is the entry point).

    python scripts/balance.py [N] [--port 8500] [--bind 0.0.0.0] [--run-dir DIR]

1. Starts N replicas (`python -m layers.server run app.py`, as scripts/run.sh serves it) on free
   127.0.0.1 ports, one after the other, each polled on `/_stcore/health` until it answers. They
   share one `server.cookieSecret` (generated per run) and the caller's environment, so
   ATLAS_DATABASE_URL, when set, points every replica at the same database.
2. Renders scripts/haproxy.cfg.template into the run folder (`haproxy.cfg`), checks it with
   `haproxy -c`, starts HAProxy in the foreground (`-db`) as a child, and waits until the
   balancer answers `/_stcore/health`.
3. Writes `replicas.json` (name, port, pid, log of each replica), `rN.pid` and `haproxy.pid` to the run
   folder, prints the URL, and waits. Ctrl-C or SIGTERM stops HAProxy and every replica (each in
   its own process group); so does HAProxy exiting. A replica that dies is left down: HAProxy's
   health check takes it out and its viewers land on the others.

`render_config` is the pure part (tested in tests/test_balance.py).
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from string import Template

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # tests.harness: the one way this repo starts a server and polls it

from tests.harness import free_port, start_streamlit, stop_streamlit, wait_until_responds  # noqa: E402

TEMPLATE = Path(__file__).resolve().with_name("haproxy.cfg.template")
HEALTH = "/_stcore/health"
CHECK_MS = 1000  # health-check interval: with `fall 2`, a dead replica is out within ~2 s
HAPROXY_START_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Replica:
    name: str  # HAProxy's server name and the ATLAS cookie's value, e.g. "r1"
    port: int


def render_config(replicas: list[Replica], *, port: int, bind: str = "0.0.0.0", check_ms: int = CHECK_MS) -> str:
    """The HAProxy configuration for these replicas: one `server` line each, cookie affinity."""
    if not replicas:
        raise ValueError("at least one replica is needed")
    names = [r.name for r in replicas]
    if len(set(names)) != len(names):
        raise ValueError(f"replica names must be unique, got {names}")
    servers = "\n".join(f"    server {r.name} 127.0.0.1:{r.port} cookie {r.name}" for r in replicas)
    return Template(TEMPLATE.read_text()).substitute(bind=bind, port=port, check_ms=check_ms, servers=servers)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.replicas < 1:
        print(f"balance: N must be at least 1, got {args.replicas}", file=sys.stderr)
        return 2
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        print("balance: no haproxy on PATH (apt-get install -y haproxy, or use scripts/balance.sh)", file=sys.stderr)
        return 2
    run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="atlas-balance-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    stop = _StopSignal()
    servers, proxy = [], None  # filled as they start, so `finally` stops whatever did
    try:
        _check_port_free(args.bind, args.port)
        _start_replicas(args.replicas, run_dir, servers)
        replicas = [Replica(f"r{i}", server.port) for i, server in enumerate(servers, start=1)]
        _write_state(run_dir, replicas, servers)
        config = run_dir / "haproxy.cfg"
        config.write_text(render_config(replicas, port=args.port, bind=args.bind))
        _check_config(haproxy, config)
        proxy = _start_haproxy(haproxy, config, run_dir, args.port)
        (run_dir / "haproxy.pid").write_text(f"{proxy.pid}\n")
        url = f"http://127.0.0.1:{args.port}/"
        print(f"balance: {len(servers)} replicas behind {url} (run folder {run_dir})", flush=True)
        print(f"READY {url}", flush=True)  # the line tests and bench/balance_load.py wait for
        stop.wait(proxy)
        if proxy.poll() is not None and not stop.received:
            print(f"balance: haproxy exited with {proxy.returncode}; stopping", file=sys.stderr)
            return 1
        return 0
    except (RuntimeError, TimeoutError, ValueError) as error:
        print(f"balance: {error}", file=sys.stderr)
        return 1
    except _Stopped:
        return 0
    finally:
        if proxy is not None and proxy.poll() is None:
            proxy.terminate()
            proxy.wait(timeout=10)
        for server in servers:
            stop_streamlit(server)
        print("balance: stopped", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("replicas", nargs="?", type=int, default=3, metavar="N", help="replicas (default 3)")
    parser.add_argument("--port", type=int, default=8500, help="the balancer's port (default 8500)")
    parser.add_argument("--bind", default="0.0.0.0", help="the balancer's address (default all interfaces)")
    parser.add_argument("--run-dir", help="folder for haproxy.cfg, replicas.json, pid files and logs")
    return parser


class _Stopped(Exception):
    pass


class _StopSignal:
    """SIGINT/SIGTERM set a flag (raising while replicas start), so `finally` always cleans up."""

    def __init__(self):
        self.received = False
        self.starting = True
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _handle(self, signum, frame) -> None:
        self.received = True
        if self.starting:
            raise _Stopped

    def wait(self, proxy: subprocess.Popen) -> None:
        self.starting = False
        while not self.received and proxy.poll() is None:
            try:
                proxy.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass


def _check_port_free(bind: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((bind, port))
        except OSError as error:
            raise RuntimeError(f"cannot listen on {bind}:{port} ({error.strerror}); choose another --port") from None


def _start_replicas(count: int, run_dir: Path, servers: list) -> None:
    """One after the other (on 2 cores, N warming processes at once each take N times longer),
    appended to `servers` as each answers."""
    secret = secrets.token_hex(16)  # one cookie secret for all replicas: a viewer may move between them
    for index in range(1, count + 1):
        server = start_streamlit(
            "app.py",
            port=free_port(),
            launcher="layers.server",
            # The secret as a variable: Streamlit refuses it as a flag. A map-data folder per replica:
            # one shared folder is pruned by each process, and replicas at two database revisions
            # would delete each other's published files.
            env={"STREAMLIT_SERVER_COOKIE_SECRET": secret, "ATLAS_CACHE_DIR": str(run_dir / f"r{index}-map-data")},
            log_path=run_dir / f"r{index}.log",
        )
        servers.append(server)
        print(f"balance: replica r{index} on 127.0.0.1:{server.port} (pid {server.pid})", flush=True)


def _write_state(run_dir: Path, replicas: list[Replica], servers: list) -> None:
    state = [
        {"name": r.name, "port": r.port, "pid": s.pid, "log": str(s.log_path)}
        for r, s in zip(replicas, servers, strict=True)
    ]
    for entry in state:
        (run_dir / f"{entry['name']}.pid").write_text(f"{entry['pid']}\n")
    tmp = run_dir / "replicas.json.tmp"
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(run_dir / "replicas.json")


def _check_config(haproxy: str, config: Path) -> None:
    check = subprocess.run([haproxy, "-c", "-q", "-f", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"haproxy rejected {config}:\n{check.stdout}{check.stderr}")


def _start_haproxy(haproxy: str, config: Path, run_dir: Path, port: int) -> subprocess.Popen:
    log = open(run_dir / "haproxy.log", "wb")  # noqa: SIM115 - the child keeps writing to it
    proxy = subprocess.Popen(
        [haproxy, "-db", "-f", str(config)], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    try:
        wait_until_responds(f"http://127.0.0.1:{port}{HEALTH}", timeout=HAPROXY_START_TIMEOUT_S)
    except TimeoutError as error:
        tail = (run_dir / "haproxy.log").read_text(errors="replace")[-2000:]
        proxy.terminate()
        raise RuntimeError(f"haproxy did not answer on port {port}: {error}\n{tail}") from None
    if proxy.poll() is not None:
        raise RuntimeError(f"haproxy exited with {proxy.returncode}: {(run_dir / 'haproxy.log').read_text()[-2000:]}")
    return proxy


if __name__ == "__main__":
    sys.exit(main())
