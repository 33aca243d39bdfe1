"""How the bench drives each app: the adapters, and where an app's script runs from.

Adapters are the only app-specific part of the bench: how to change the sector (`apply`), which
states to cycle (`candidates`, `next_state`), what a freshly opened page shows (`initial`) and,
for a text page, what text shows a state (`expected`). The floor and the atlas share one driver
(`SectorsMultiselect`: the sidebar's "Sectors" multiselect) and one `runner.postScriptGC` value
(`post_script_gc`, passed to both servers explicitly).
`ADAPTERS` maps the names bench/bench.py's `--apps` takes to their classes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from geo.sectors import SECTORS

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

STATE_POLYGONS = 32  # a ready atlas or baseline map shows this many state polygons
SENTINEL_ALL = "(all sectors)"
STREAMLIT_CONFIG = REPO_ROOT / ".streamlit" / "config.toml"


def post_script_gc() -> bool:
    """The atlas's `runner.postScriptGC`: the repo's .streamlit/config.toml if it sets one, else
    Streamlit's default (True). layers/server.py sets no option; it freezes the heap instead."""
    if STREAMLIT_CONFIG.exists():
        runner = tomllib.loads(STREAMLIT_CONFIG.read_text()).get("runner", {})
        if "postScriptGC" in runner:
            return bool(runner["postScriptGC"])
    return True


def _gc_args() -> tuple[str, ...]:
    """Passed to the floor and the atlas alike, so a comparison never hinges on a default."""
    return ("--runner.postScriptGC", "true" if post_script_gc() else "false")


@dataclass
class Adapter:
    """How the bench drives one app. Subclasses define `apply`, `next_state` and friends."""

    name: str
    script: Path
    kind: str = "map"  # "map": judge by polygon fills; "text": judge by WATCH text
    watch_text: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    extra_args: tuple[str, ...] = ()
    launcher: str = "streamlit"  # the module `python -m` runs: `layers.server` warms the atlas first
    candidates: tuple[str, ...] = ()
    initial: str = SENTINEL_ALL

    def pending_reason(self) -> str | None:
        """Why this app cannot be measured yet (None when it can)."""
        return None if self.script.exists() else f"{self.script} does not exist yet"

    def needs_reset(self, page) -> bool:
        """Whether a freshly loaded page is not at `initial` yet."""
        return False

    def reset(self, page) -> None:
        """Bring a freshly loaded page to `initial` (one action that triggers a rerun)."""

    def apply(self, page, current: str, target: str) -> None:
        """Change the filter from `current` to `target`; the last pointerdown is the commit."""
        raise NotImplementedError

    def next_state(self, current: str, index: int, usable: list[str]) -> str:
        """The state the i-th timed change goes to (one `apply` away from `current`)."""
        raise NotImplementedError

    def route(self, current: str, target: str) -> list[str]:
        """States to pass through to reach `target` from `current`, one `apply` each."""
        return [target]

    def expected(self, state: str) -> str:
        """For kind "text": the watched text that shows `state` (for "map", the bench learns the
        fills signature of each state instead)."""
        return state


def _close_popups(page) -> None:
    page.keyboard.press("Escape")


def _choose_option(page, combobox, option: str) -> None:
    """Open a Streamlit select/multiselect, filter by typing, click the option (= the commit)."""
    combobox.click()
    combobox.fill(option)
    page.get_by_role("option", name=option, exact=True).click()


class BaselineAdapter(Adapter):
    """bench/baseline_app.py: a main-area selectbox "Sector"; cycle through the candidates."""

    def __init__(self):
        super().__init__(
            name="baseline",
            script=BENCH_DIR / "baseline_app.py",
            # Streamlit's defaults, not the atlas's .streamlit/config.toml
            extra_args=("--server.enableWebsocketCompression", "false"),
            candidates=("Energy", "Automotive", "ICT", "Aerospace", "Agrifood", "Health & Medical"),
            initial=SECTORS[0],  # the selectbox's default
        )

    def apply(self, page, current, target):
        _close_popups(page)
        box = page.locator('[data-testid="stMain"]').get_by_role("combobox", name="Sector")
        _choose_option(page, box, target)

    def next_state(self, current, index, usable):
        options = [s for s in usable if s != current]
        return options[index % len(options)]


class SectorsMultiselect(Adapter):
    """Drives a multiselect labelled "Sectors" in the sidebar (the atlas's sector control, and the
    floor's copy of it), options named as geo.sectors.SECTORS, empty = all sectors, empty when
    the page opens without query parameters.

    A change is one click: ALL -> X selects X (dropdown opened and filtered first, not timed),
    X -> ALL removes X's tag. So the plan alternates ALL, X1, ALL, X2, ...
    """

    label = "Sectors"  # the multiselect's label in app.py and bench/floor_app.py

    def _box(self, page):
        return page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name=self.label)

    def _widget(self, page):
        sidebar = page.locator('[data-testid="stSidebar"]')
        return sidebar.locator('[data-testid="stMultiSelect"]').filter(
            has=page.get_by_role("combobox", name=self.label)
        )

    def _clear(self, page):
        return self._widget(page).locator('button[aria-label="Clear all"]')

    def needs_reset(self, page):
        return self._clear(page).count() > 0

    def reset(self, page):
        self._clear(page).first.click()

    def apply(self, page, current, target):
        _close_popups(page)
        if target == SENTINEL_ALL:
            self._widget(page).locator(f'button[aria-label="Remove {current}"]:visible').first.click()
        else:
            _choose_option(page, self._box(page), target)

    def next_state(self, current, index, usable):
        if current != SENTINEL_ALL:
            return SENTINEL_ALL
        return usable[(index // 2) % len(usable)]

    def route(self, current, target):
        if SENTINEL_ALL in (current, target):
            return [target]
        return [SENTINEL_ALL, target]


CANDIDATES = ("Automotive", "Aerospace", "ICT", "Energy", "Agrifood", "Health & Medical")


class FloorAdapter(SectorsMultiselect):
    """bench/floor_app.py: the atlas's sector control alone. The page's one text element says what
    is selected (`floor_text`): that text is the floor's "painted" signal."""

    def __init__(self):
        super().__init__(
            name="floor",
            script=BENCH_DIR / "floor_app.py",
            kind="text",
            watch_text='[data-testid="stText"]',
            extra_args=_gc_args(),
            candidates=CANDIDATES,
        )

    def expected(self, state: str) -> str:
        return floor_text(state)


def floor_text(state: str) -> str:
    """What bench/floor_app.py shows for a state (keep in step with it)."""
    return f"floor sectors: {'all' if state == SENTINEL_ALL else state}"


class OursAdapter(SectorsMultiselect):
    """app.py, the atlas. Contract it relies on (keep in step with app.py): the "Sectors"
    multiselect of `SectorsMultiselect`, and one st_folium map whose 32 state polygons
    (`path.leaflet-interactive`) change `fill` with the sector filter."""

    def __init__(self, env=None):
        super().__init__(
            name="ours",
            script=REPO_ROOT / "app.py",
            env=dict(env or {}),
            extra_args=_gc_args(),
            launcher="layers.server",  # as scripts/run.sh serves it
            candidates=CANDIDATES,
        )


ADAPTERS = {"floor": FloorAdapter, "baseline": BaselineAdapter, "ours": OursAdapter}


def with_script(adapter: Adapter, path: str | None) -> Adapter:
    """Point an adapter at another script (e.g. a candidate app.py) for a trial run."""
    if path:
        adapter.script = Path(path).resolve()
    return adapter
