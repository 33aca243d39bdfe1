"""The atlas in two languages at once, in real headless Chromium (outside requests aborted).

Two browser contexts, one Spanish (es-MX) and one Chinese (zh-CN), share one server: each page
is in its browser's language only, sidebar and map tooltips alike. Switching the language in
the sidebar keeps the filters, the selected state and the map's view (the map is not remounted).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from geo.i18n import translator
from tests.harness import (
    hover_tip,
    new_context,
    open_atlas,
    poll_until,
    save_screenshot,
    watch_console,
)

pytestmark = pytest.mark.browser

QRO = "Querétaro"
QRO_HOVER = (21.1, -100.0)  # a spot of Querétaro's polygon north of its markers (as tests/browser/test_app.py)
PROBE_VIEW = ((20.6, -100.4), 8)
VIEW_JS = "() => ({probe: window.map.__probe, zoom: window.map.getZoom(), centre: window.map.getCenter()})"
SIDEBAR = '[data-testid="stSidebar"]'
# A word of each language that the others never show in the sidebar
WORDS = {lang: translator(lang).t("sectors.label") for lang in ("es", "en", "zh")}
TIP_COUNTS = {lang: translator(lang).t("tip.counts").split("{")[0] for lang in ("es", "en", "zh")}


@pytest.fixture
def pages(browser, request):
    """A Spanish and a Chinese browser session, open at the same time."""
    opened, errors = {}, {}
    for lang, locale in (("es", "es-MX"), ("zh", "zh-CN")):
        context = new_context(browser, [], locale=locale)
        page = context.new_page()
        errors[lang] = []
        watch_console(page, errors[lang])
        opened[lang] = page
    yield opened, errors
    for lang, page in opened.items():
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            save_screenshot(page, f"{request.node.nodeid}-{lang}")
        page.context.close()


def set_view(page, frame) -> None:
    (lat, lon), zoom = PROBE_VIEW
    frame.evaluate(
        "([lat, lon, zoom]) => { window.map.__probe = 1; window.map.setView([lat, lon], zoom, {animate: false}); }",
        [lat, lon, zoom],
    )
    poll_until(page, lambda: frame.evaluate(VIEW_JS)["zoom"] == zoom, message="probe view set")


def test_two_sessions_at_once_each_in_its_own_language(app_server, pages):
    opened, errors = pages
    frames = {lang: open_atlas(page, app_server, "?sectors=Aerospace", timeout=90_000) for lang, page in opened.items()}
    for lang, page in opened.items():
        sidebar = page.locator(SIDEBAR).inner_text()
        assert WORDS[lang] in sidebar
        assert all(word not in sidebar for other, word in WORDS.items() if other != lang), lang
        expect(page.get_by_role("heading", level=1)).to_contain_text(translator(lang).sector("Aerospace"))
    for lang, page in opened.items():
        set_view(page, frames[lang])
        tip = hover_tip(page, frames[lang], *QRO_HOVER, QRO)
        assert TIP_COUNTS[lang] in tip, tip
        assert translator(lang).sector("Aerospace") in tip
        assert all(words not in tip for other, words in TIP_COUNTS.items() if other != lang), tip
    assert errors == {"es": [], "zh": []}


def test_switching_language_keeps_filters_state_and_map_view(app_server, pages):
    opened, errors = pages
    page = opened["es"]
    frame = open_atlas(page, app_server, f"?sectors=Aerospace,ICT&state={QRO}", timeout=90_000)
    set_view(page, frame)
    page.locator(SIDEBAR).get_by_text("中文", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("墨西哥产业集群地图集 — 航空航天和信息通信技术")
    params = parse_qs(urlsplit(page.url).query)
    assert params["lang"] == ["zh"] and params["sectors"] == ["Aerospace,ICT"] and params["state"] == [QRO]
    view = frame.evaluate(VIEW_JS)
    assert view["probe"] == 1, "the map was remounted"
    assert view["zoom"] == PROBE_VIEW[1]
    assert view["centre"]["lat"] == pytest.approx(PROBE_VIEW[0][0], abs=0.01)
    tip = hover_tip(page, frame, *QRO_HOVER, QRO)
    assert TIP_COUNTS["zh"] in tip and "航空航天" in tip
    assert "复制链接" in frame.locator(".atlas-copy-link").inner_text()
    assert errors["es"] == []
