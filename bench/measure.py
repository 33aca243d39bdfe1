"""Numbers the bench reads outside the page: TCP bytes on the wire (`ss`), and statistics.

(Server memory comes from tests.harness.rss_kib; in-page times from the monitor.)
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess


def wire_bytes_sent(port: int) -> dict[str, int] | None:
    """TCP payload bytes the server has sent, per open connection (peer address -> bytes),
    from `ss` (iproute2). None when `ss` is not available.

    Unlike websocket message sizes this is what crossed the wire, after permessage-deflate.
    """
    try:
        out = subprocess.run(
            ["ss", "-tinH", "state", "established", f"( sport = :{port} )"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    sent: dict[str, int] = {}
    peer = None
    for line in out.splitlines():
        if line and not line[0].isspace():  # a connection: Recv-Q Send-Q Local Peer ...
            fields = line.split()
            peer = fields[3] if len(fields) > 3 else line
        found = re.search(r"\bbytes_sent:(\d+)", line)
        if found and peer is not None:
            sent[peer] = int(found.group(1))
    return sent


def wire_delta(before: dict[str, int] | None, after: dict[str, int] | None) -> int | None:
    """Bytes sent between two `wire_bytes_sent` snapshots, per connection: a connection that
    closed in between no longer counts (a plain sum of totals would go negative), one that
    opened counts in full."""
    if before is None or after is None:
        return None
    return sum(total - before.get(peer, 0) for peer, total in after.items())


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def positive_int(text: str) -> int:
    """An argparse type: a whole number above 0, else a message saying so."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {value}")
    return value
