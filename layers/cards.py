"""Record cards for the state story, as Streamlit markdown with every data character escaped.

Streamlit renders markdown (links, images, `$…$` LaTeX, `:red[…]` directives) even with HTML
off, so every ASCII punctuation character of the data is backslash-escaped (CommonMark allows it)
and `<`/`>`/`&` are also entity-escaped: seed text can only ever show up as text.
"""

import html
import re
from collections.abc import Mapping

import pandas as pd

from geo.documents import source_labels
from geo.i18n import DEFAULT, Translator, translator
from geo.schema import KINDS, PROJECT_TYPES, YEAR_BASES
from geo.sectors import SECTORS

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md_text(value) -> str:
    """Plain text for Streamlit markdown: shows exactly the characters of `value`."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = html.escape(str(value), quote=False)
    text = _PUNCTUATION.sub(r"\\\1", text)
    # `&lt;` etc. must keep their `&` and `;` unescaped to stay entities
    text = re.sub(r"\\&(lt|gt|amp)\\;", r"&\1;", text)
    return text.replace("\n", "  \n")


def label_text(label, valid_until, tr: Translator | None = None) -> str:
    """ "ECEI Gold Label, valid until 2019-06-23"; "" when the record has no label."""
    t = (tr or translator(DEFAULT)).t
    label = "" if label is None or pd.isna(label) else str(label).strip()
    until = "" if valid_until is None or pd.isna(valid_until) else str(valid_until).strip()
    if not label:
        return ""
    label = t(f"ecei.{label}")
    return t("card.label", label=label, date=until) if until else t("card.label_undated", label=label)


def record_card(rec: Mapping, tr: Translator | None = None) -> str:
    """Name, what/when/where, figures with their sources, notes and citations, in the language
    of `tr` (English by default). Names, figures, notes and citations stay as written."""
    tr = tr or translator(DEFAULT)
    t = tr.t
    kind = rec.get("project_type") or rec.get("kind") or ""
    year = rec.get("year")
    if year is None or pd.isna(year):
        when = t("card.year_unknown")
    else:
        basis = rec.get("year_basis")
        when = t("card.year", year=int(year), basis=t(f"basis.{basis if basis in YEAR_BASES else 'unknown'}"))
    where = t("card.in_place", place=rec["place"]) if rec.get("place") else t("card.state_level")
    if not rec.get("state"):
        where = t("card.no_state")
    sector = tr.sector(rec["sector"]) if rec.get("sector") in SECTORS else rec.get("sector")
    kind = t(f"kind.{kind}") if kind in (*KINDS, *PROJECT_TYPES) else kind
    lines = [
        f"**{md_text(rec.get('name'))}**",
        " · ".join(md_text(part) for part in (sector, kind, when, where) if part),
    ]
    label = label_text(rec.get("label"), rec.get("label_valid_until"), tr)
    if label:
        lines.append(md_text(label))
    figures = rec.get("figures") or ""
    if figures:
        lines.append("  \n".join(f"– {md_text(line)}" for line in figures.split("\n")))
    if rec.get("notes"):
        lines.append(f"*{md_text(rec['notes'])}*")
    lines.append(t("card.sources", sources=md_text("; ".join(source_labels(rec.get("source") or "")))))
    return "\n\n".join(lines)
