"""scripts/balance.sh: the HAProxy configuration it renders, and the balancer running for real.

The config tests read scripts/haproxy.cfg.template through `render_config` and have HAProxy
itself check the result. The browser test starts `balance.sh 2`, opens the atlas through HAProxy
in two browser contexts pinned to different replicas by their ATLAS cookie, kills the replica of
the first and reloads its URL: the same view must come back from the other replica.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess

import pytest

from scripts.balance import Replica, render_config
from tests.harness import balancer, fills, new_context, open_atlas

REPLICAS = [Replica("r1", 8601), Replica("r2", 8602), Replica("r3", 8603)]
VIEW = "?sectors=Aerospace"  # a view held by the URL alone


@pytest.fixture
def config() -> str:
    return render_config(REPLICAS, port=8500, bind="127.0.0.1")


@pytest.mark.parametrize(
    "line",
    [
        "bind 127.0.0.1:8500",
        "cookie ATLAS insert indirect nocache httponly",  # cookie affinity: a NAT'd venue still spreads
        "option httpchk GET /_stcore/health",
        "http-check expect status 200",
        "timeout tunnel 1h",  # websockets (/_stcore/stream) outlive `timeout client/server`
        "option redispatch",  # a viewer whose replica is down lands on another
        "http-response set-header X-Atlas-Replica %[srv_name]",
        "server r1 127.0.0.1:8601 cookie r1",
        "server r3 127.0.0.1:8603 cookie r3",
    ],
)
def test_config_has(config, line):
    assert line in [raw.strip() for raw in config.splitlines()]


def test_config_has_one_server_line_per_replica_and_no_source_hashing(config):
    servers = re.findall(r"^\s*server (\S+) 127\.0\.0\.1:(\d+) cookie (\S+)$", config, flags=re.MULTILINE)
    assert servers == [("r1", "8601", "r1"), ("r2", "8602", "r2"), ("r3", "8603", "r3")]
    assert "balance source" not in config
    assert "$" not in config.split("\n", 1)[1]  # every placeholder filled (the first line names them)


@pytest.mark.parametrize(
    ("replicas", "message"),
    [
        ([], "at least one replica"),
        ([Replica("r1", 8601), Replica("r1", 8602)], "names must be unique"),
    ],
)
def test_bad_replica_lists_are_refused(replicas, message):
    with pytest.raises(ValueError, match=message):
        render_config(replicas, port=8500)


def test_haproxy_accepts_the_config(config, tmp_path):
    haproxy = shutil.which("haproxy")
    assert haproxy, "haproxy is not installed (scripts/test.sh installs it: apt-get install -y haproxy)"
    path = tmp_path / "haproxy.cfg"
    path.write_text(config)
    check = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def _replica_answering(page, url: str) -> list[str]:
    """X-Atlas-Replica of every load of the page itself (not its frames or files), in order."""
    seen: list[str] = []
    page.on(
        "response", lambda r: seen.append(r.headers.get("x-atlas-replica", "")) if r.url.split("?")[0] == url else None
    )
    return seen


def _cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "ATLAS"), None)


def _alive(pid: int) -> bool:  # a killed replica is reaped by balance.py when it stops
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.browser
def test_two_replicas_affinity_and_failover(browser, tmp_path):
    blocked: list[str] = []
    with balancer(2, tmp_path / "run") as running:
        replicas = {r["name"]: r for r in running.replicas()}
        pids = running.pids()
        first = new_context(browser, blocked)
        page = first.new_page()
        answered = _replica_answering(page, running.url)
        before = fills(open_atlas(page, running, VIEW))
        own = _cookie(first)
        assert own in replicas and answered == [own]  # the response set the affinity cookie

        second = new_context(browser, blocked)
        other = next(name for name in replicas if name != own)
        second.add_cookies([{"name": "ATLAS", "value": other, "url": running.url}])
        other_page = second.new_page()
        other_answered = _replica_answering(other_page, running.url)
        assert fills(open_atlas(other_page, running, VIEW)) == before
        assert other_answered == [other]

        # killed, not stopped: no goodbye to its websockets; the reload comes before HAProxy's health
        # check has noticed, so the refused connection itself must send the viewer elsewhere
        os.kill(replicas[own]["pid"], signal.SIGKILL)
        after = fills(open_atlas(page, running, VIEW))  # the viewer reloads its URL
        assert after == before
        assert answered[-1] == other and _cookie(first) == other
        first.close()
        second.close()
    assert blocked == []
    assert running.process.returncode == 0
    assert [pid for pid in pids if _alive(pid)] == []
