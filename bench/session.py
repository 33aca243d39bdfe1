"""One browser session on an app, driven and timed through the in-page monitor (bench/monitor.py).

`Session` opens the app in its own browser context (outside requests blocked), applies filter
changes through its adapter and returns, per change, the latency, blank time, remount flag and
bytes received. `learn_signatures` and `usable_states` find which states the map tells apart.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlsplit

from adapters import SENTINEL_ALL, STATE_POLYGONS, Adapter
from measure import wire_bytes_sent, wire_delta
from monitor import init_script

from tests.harness import MAP_IFRAME, POLYGON, map_frame, new_context

SIGNATURE_PATHS = 64  # polygons whose fills make up a map's signature


class ChangeTimeout(AssertionError):
    pass


class Session:
    """One browser context + page on an app, with its monitor and websocket byte counter."""

    def __init__(self, browser, url: str, adapter: Adapter):
        self.url, self.adapter = url, adapter
        self.port = urlsplit(url).port
        self.blocked: list[str] = []
        self.context = new_context(browser, self.blocked)
        self.context.add_init_script(script=init_script(_monitor_config(adapter)))
        self.page = self.context.new_page()
        self.page_errors: list[str] = []
        self.ws_bytes = 0
        self.ws_frames = 0
        self.ws_last = time.monotonic()
        self.page.on("websocket", self._on_websocket)
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.state = adapter.initial
        self.navigated_at: float | None = None  # epoch ms of the last open()'s navigation start

    def _on_websocket(self, ws) -> None:
        ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload) -> None:
        self.ws_bytes += len(payload.encode() if isinstance(payload, str) else payload)
        self.ws_frames += 1
        self.ws_last = time.monotonic()

    # -- observing

    def status(self) -> dict:
        """Streamlit's script state, what the page shows (`last`, `ready`), exception count."""
        return self.page.evaluate("window.__mon.status()")

    def settle(self, *, quiet_ms: float = 400, timeout: float = 60) -> dict:
        """Wait until the script is idle, the page ready, and nothing changed for quiet_ms."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            quiet_ws = (time.monotonic() - self.ws_last) * 1000 >= quiet_ms
            if status["idle"] and quiet_ws and status["sinceChange"] >= quiet_ms and status["ready"]:
                return status
            if time.monotonic() > deadline:
                raise ChangeTimeout(f"{self.adapter.name}: page did not settle: {status}")
            self.page.wait_for_timeout(50)

    def pointerdown_at(self) -> float:
        """Epoch ms of the user's last pointerdown (the commit of a change)."""
        return self.page.evaluate("window.__mon.lastDown")

    def monitor_frames(self) -> int:
        """Animation frames the monitor has seen (a page that stalls sees few)."""
        return self.page.evaluate("window.__mon.frames")

    def signature(self) -> str:
        last = self.page.evaluate("window.__mon.last")
        return last["text"] if self.adapter.kind == "text" else last["sig"]

    # -- acting

    def open(self, *, timeout: float = 90) -> float:
        """Navigate; return ms from navigation start to the first ready frame (and keep the
        navigation start, epoch ms, in `navigated_at`)."""
        self.page.goto(self.url)
        self.page.wait_for_function(
            "() => !!window.__mon && window.__mon.isReady()", polling="raf", timeout=timeout * 1000
        )
        self.navigated_at = self.page.evaluate("performance.timeOrigin")
        return self.page.evaluate("window.__mon.firstReadyAt()")

    def apply(self, target: str, *, timeout: float = 60) -> None:
        """Untimed change: apply, wait for the server to answer, then for the page to settle."""
        self.act(lambda: self.adapter.apply(self.page, self.state, target), timeout=timeout)
        self.state = target

    def act(self, action, *, timeout: float = 60) -> None:
        """Run a UI action that triggers a rerun and settle after it. (Settling right after a
        click could see the old, quiet page before the rerun even starts.)"""
        frames = self.ws_frames
        action()
        deadline = time.monotonic() + timeout
        while self.ws_frames == frames:
            if time.monotonic() > deadline:
                raise ChangeTimeout(f"{self.adapter.name}: no answer from the server")
            self.page.wait_for_timeout(20)
        self.settle(timeout=timeout)

    def change(self, target: str, expected: str, *, timeout: float = 60) -> dict:
        """Apply one filter change and time it against the expected signature/text."""
        page, kind = self.page, self.adapter.kind
        token = uuid.uuid4().hex
        if kind == "map":
            map_frame(page).evaluate("tag => window.__monFrame.setTag(tag)", token)
            page.wait_for_function("tag => window.__mon.tagged(tag)", arg=token, polling="raf")
        bytes_before, wire_before = self.ws_bytes, wire_bytes_sent(self.port)
        self.adapter.apply(page, self.state, target)
        t0 = self.pointerdown_at()
        try:
            page.wait_for_function(
                "expected => window.__mon.shows(expected)", arg=expected, polling="raf", timeout=timeout * 1000
            )
        except Exception as error:
            raise ChangeTimeout(f"{self.adapter.name}: {self.state} -> {target}: {error}") from None
        events = page.evaluate("t0 => window.__mon.eventsFrom(t0)", t0)
        self.state = target
        self.settle()
        summary = _summarise_change(events, t0, expected, kind, token, self.ws_bytes - bytes_before)
        summary.update(_server_times(page, t0, t0 + summary["latency_ms"]))
        run = page.evaluate("([a, b]) => window.__mon.between(a, b)", [t0, t0 + 3_600_000])["ws"]
        summary["page_done_ms"] = run[-1] - t0 if run else None  # the rerun's last message: the whole page
        wire_after = wire_bytes_sent(self.port)
        summary["wire_bytes"] = wire_delta(wire_before, wire_after)
        return summary

    def first_shown_at(self, t0: float, expected: str) -> float:
        """Epoch ms of the first frame at or after t0 that showed `expected`."""
        return self.page.evaluate("([t0, expected]) => window.__mon.firstShownAt(t0, expected)", [t0, expected])

    def pan_zoom(self, step: dict) -> float:
        """One pan ({"pan": [dx, dy]}) or zoom ({"zoom": n}) of the map; ms until it has painted."""
        return map_frame(self.page).evaluate("step => window.__monFrame.panZoom(step)", step)

    def close(self) -> None:
        self.context.close()


def _monitor_config(adapter: Adapter) -> dict:
    return {
        "map": MAP_IFRAME,
        "polygon": POLYGON,
        "watch": adapter.watch_text,
        "signaturePaths": SIGNATURE_PATHS,
        "kind": adapter.kind,
        "polygons": STATE_POLYGONS,
    }


def _server_times(page, t0: float, done: float) -> dict:
    """From the click: the first and the last websocket message that arrived before the map showed
    the change, and when the map's iframe got its new arguments (the rest is the map's own work)."""
    seen = page.evaluate("([a, b]) => window.__mon.between(a, b)", [t0, done])
    times, renders = seen["ws"], seen["renders"]
    return {
        "first_message_ms": times[0] - t0 if times else None,
        "last_message_ms": times[-1] - t0 if times else None,
        "map_args_ms": renders[-1] - t0 if renders else None,
    }


def _summarise_change(events, t0, expected, kind, token, ws_bytes) -> dict:
    def matches(event):
        if kind == "text":
            return event["text"] == expected
        return event["sig"] == expected and event["count"] >= STATE_POLYGONS

    done = next(e for e in events if e["t"] >= t0 and matches(e))
    blank = 0.0
    for event, following in zip(events, events[1:] + [done], strict=False):
        if event["t"] >= done["t"]:
            break
        start, end = max(event["t"], t0), min(following["t"], done["t"])
        if kind == "map" and event["count"] == 0 and end > start:
            blank += end - start
    return {
        "latency_ms": done["t"] - t0,
        "blank_ms": blank,
        "remounted": kind == "map" and done["tag"] != token,
        "ws_bytes": ws_bytes,
    }


def learn_signatures(session: Session, states: list[str]) -> dict[str, str]:
    """Visit each state once (not timed) and record what the map shows for it."""
    adapter = session.adapter
    if adapter.needs_reset(session.page):
        session.act(lambda: adapter.reset(session.page))
    session.state = adapter.initial
    signatures = {adapter.initial: session.signature()}
    for state in states:
        for step in adapter.route(session.state, state):
            if step != session.state:
                session.apply(step)
                signatures[step] = session.signature()
    return signatures


def usable_states(adapter: Adapter, signatures: dict[str, str]) -> list[str]:
    """Candidates whose map differs from every other candidate's (and from ALL for ours)."""
    taken = {signatures[adapter.initial]} if adapter.initial == SENTINEL_ALL else set()
    usable = []
    for state in adapter.candidates:
        sig = signatures.get(state)
        if sig is not None and sig not in taken:
            usable.append(state)
            taken.add(sig)
    return usable
