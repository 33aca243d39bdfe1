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

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_BASIS = {"founded": "founded", "started": "started", "announced": "announced", "reported": "reported"}


def md_text(value) -> str:
    """Plain text for Streamlit markdown: shows exactly the characters of `value`."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = html.escape(str(value), quote=False)
    text = _PUNCTUATION.sub(r"\\\1", text)
    # `&lt;` etc. must keep their `&` and `;` unescaped to stay entities
    text = re.sub(r"\\&(lt|gt|amp)\\;", r"&\1;", text)
    return text.replace("\n", "  \n")


def label_text(label, valid_until) -> str:
    """ "ECEI Gold Label, valid until 2019-06-23"; "" when the record has no label."""
    label = "" if label is None or pd.isna(label) else str(label).strip()
    until = "" if valid_until is None or pd.isna(valid_until) else str(valid_until).strip()
    if not label:
        return ""
    return f"ECEI {label}, valid until {until}" if until else f"ECEI {label} (validity not stated)"


def record_card(rec: Mapping) -> str:
    """Name, what/when/where, figures with their sources, notes and citations."""
    kind = rec.get("project_type") or rec.get("kind") or ""
    year = rec.get("year")
    when = (
        "year unknown"
        if year is None or pd.isna(year)
        else f"{int(year)} ({_BASIS.get(rec.get('year_basis'), 'year')})"
    )
    where = f"in {rec['place']}" if rec.get("place") else "placed at state level"
    if not rec.get("state"):
        where = "not tied to one state"
    lines = [
        f"**{md_text(rec.get('name'))}**",
        " · ".join(md_text(part) for part in (rec.get("sector"), kind, when, where) if part),
    ]
    label = label_text(rec.get("label"), rec.get("label_valid_until"))
    if label:
        lines.append(md_text(label))
    figures = rec.get("figures") or ""
    if figures:
        lines.append("  \n".join(f"– {md_text(line)}" for line in figures.split("\n")))
    if rec.get("notes"):
        lines.append(f"*{md_text(rec['notes'])}*")
    lines.append(f"Sources: {md_text('; '.join(source_labels(rec.get('source') or '')))}")
    return "\n\n".join(lines)
