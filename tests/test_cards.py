import html

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from layers.cards import label_text, md_text, record_card
from tests.helpers import shown

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "![x](http://example.com/x.png)",
    ":red[big] $x^2$ **bold** `code` # heading",
    '" onmouseover="alert(1)',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_md_text_renders_as_the_same_text(text):
    rendered = MarkdownIt("commonmark").render(md_text(text))
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered
    assert "<strong>" not in rendered and "<code>" not in rendered and "<h1>" not in rendered
    # what a reader sees is exactly the original text
    assert rendered.strip() == f"<p>{html.escape(text)}</p>"


def test_card_shows_year_basis_figures_notes_and_sources():
    rec = {"name": "Aerocluster", "kind": "cluster", "project_type": "", "sector": "Aerospace",
           "year": 2009, "year_basis": "founded", "place": "Monterrey", "state": "Nuevo León",
           "figures": "Members: over 60 [000.txt, intro]", "notes": "A note.", "source": "002.txt, Annex, Table 6"}  # fmt: skip
    card = record_card(rec)
    assert "**Aerocluster**" in card and "2009 \\(founded\\)" in card and "in Monterrey" in card
    assert "Members\\: over 60" in card and "*A note\\.*" in card and "Annex\\, Table 6" in card


def test_card_says_unknown_year_and_state_level():
    card = record_card({"name": "X", "kind": "project", "project_type": "institution", "sector": "ICT",
                        "year": pd.NA, "year_basis": "unknown", "place": "", "state": "Querétaro",
                        "figures": "", "notes": "", "source": "s"})  # fmt: skip
    assert "year unknown" in card and "placed at state level" in card


@pytest.mark.parametrize(
    ("source", "shown_sources"),
    [
        ("002_b1590986cb6d8db3.txt, Annex, Table 6", "Preparatory Briefing on Mexico (ECCP), Annex, Table 6"),
        ("001_bb1a3a0631c7cfec.txt, intro | 002_b1590986cb6d8db3.txt, 3.2",
         "Bajio Alliance Moving Forward (MBN), intro; Preparatory Briefing on Mexico (ECCP), 3.2"),
        ("003_f9798965136af8b2.txt, article", "003_f9798965136af8b2.txt, article"),  # no title stated: its file
        ("unknown.txt, p. 3", "unknown.txt, p. 3"),
    ],
)  # fmt: skip
def test_cards_name_documents_by_their_titles(source, shown_sources):
    card = record_card({"name": "X", "kind": "cluster", "sector": "ICT", "year": pd.NA, "state": "Jalisco",
                        "source": source})  # fmt: skip
    assert shown(card.split("Sources: ")[1]) == shown_sources


@pytest.mark.parametrize(
    ("label", "until", "expected"),
    [
        ("Gold Label", "2019-06-23", "ECEI Gold Label, valid until 2019-06-23"),
        ("Bronze Label", "", "ECEI Bronze Label (validity not stated)"),  # 004 names the level, no date
        ("", "", ""),
        (None, None, ""),
        (pd.NA, pd.NA, ""),
    ],
)
def test_label_text(label, until, expected):
    assert label_text(label, until) == expected


def test_card_shows_the_label_and_its_validity():
    rec = {
        "name": "CLAUT",
        "kind": "cluster",
        "sector": "Automotive",
        "year": pd.NA,
        "state": "Nuevo León",
        "label": "Gold Label",
        "label_valid_until": "2019-06-23",
        "source": "002.txt, 3.1 Cluster mapping, Table 2",
    }
    assert "ECEI Gold Label\\, valid until 2019\\-06\\-23" in record_card(rec)
    assert "ECEI" not in record_card({**rec, "label": "", "label_valid_until": ""})
