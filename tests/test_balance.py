"""scripts/balance.sh's HAProxy configuration: `render_config` over scripts/haproxy.cfg.template,
checked line by line and by HAProxy itself. The balancer running for real, in Chromium:
tests/browser/test_balance.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from scripts.balance import Replica, render_config

REPLICAS = [Replica("r1", 8601), Replica("r2", 8602), Replica("r3", 8603)]


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
