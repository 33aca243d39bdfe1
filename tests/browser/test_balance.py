"""scripts/balance.sh running: `balance.sh 2`, the atlas opened through HAProxy in two browser
contexts pinned to different replicas by their ATLAS cookie; then the first one's replica is
killed and its viewer reloads its URL: the same view must come back from the other replica, and
stopping the balancer must leave no process behind.
"""

from __future__ import annotations

import os
import signal

import pytest

from tests.harness import balancer, fills, new_context, open_atlas

VIEW = "?sectors=Aerospace"  # a view held by the URL alone


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
        # each replica publishes its map data into a folder of its own (none prunes another's)
        assert all(any((running.run_dir / f"{name}-map-data").iterdir()) for name in replicas)

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
