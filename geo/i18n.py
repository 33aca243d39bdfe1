"""The atlas's languages: one message catalogue per language and Babel's formatting for it.

Catalogues are flat JSON files, `geo/locales/<code>.json`: key -> a whole sentence with `{named}`
placeholders (never fragments to be joined). A plural message is two keys, `<key>.one` and
`<key>.other`, chosen by the language's CLDR plural rule (Chinese has only `other`; its `.one`
repeats it so that every catalogue has the same keys).

Translation is per call, never process-wide: the page asks `translator(lang)` for the session's
language (several users with different languages share one server; no `gettext.install`).
State names are the official Spanish names in every language and are never looked up here;
document titles and quotes stay as written.

    tr = translator("es")
    tr.t("title.counts", clusters=..., projects=..., states=3)
    tr.number(1374.46)   # "1,374.46" (es-MX writes numbers like en, not 1.374,46)

The pseudo-locale `PSEUDO` (tests only) shows the English text wrapped in ⟦…⟧, so that a test can
see which visible strings did not come from a catalogue.
"""

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from string import Formatter

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, format_percent

LANGUAGES = ("es", "en", "zh")
DEFAULT = "en"
NAMES = {"es": "Español", "en": "English", "zh": "中文"}  # each language in its own words
BABEL_LOCALES = {"es": "es_MX", "en": "en_US", "zh": "zh_Hans_CN"}
PSEUDO = "qps"  # tests only: English, every message visibly marked
PSEUDO_MARKS = ("⟦", "⟧")
LOCALES_DIR = Path(__file__).parent / "locales"


class MissingMessageError(KeyError):
    """A key that the language's catalogue does not have (a programming error: tests catch it)."""


@dataclass(frozen=True)
class Translator:
    """One language's messages and formats; `lang` is one of LANGUAGES (or PSEUDO)."""

    lang: str
    locale: Locale
    messages: Mapping[str, str] = field(repr=False)
    marked: bool = False

    def t(self, key: str, **values) -> str:
        """The message `key` with its `{named}` placeholders filled in from `values`."""
        try:
            text = self.messages[key]
        except KeyError:
            raise MissingMessageError(f"No message {key!r} in the {self.lang!r} catalogue.") from None
        text = text.format(**values) if values else text
        return f"{PSEUDO_MARKS[0]}{text}{PSEUDO_MARKS[1]}" if self.marked else text

    def plural(self, key: str, count: int, **values) -> str:
        """`key.one` or `key.other` as the language's plural rule says for `count` (passed as `{count}`,
        formatted for the language)."""
        form = "one" if self.locale.plural_form(count) == "one" else "other"
        return self.t(f"{key}.{form}", count=self.number(count), **values)

    def sector(self, name: str) -> str:
        """A sector's label (the canonical name of geo.sectors.SECTORS stays the value)."""
        return self.t(f"sector.{name}")

    def number(self, value) -> str:
        """A whole or decimal number with the language's grouping, e.g. 1,374.46."""
        return format_decimal(value, locale=self.locale)

    def decimal(self, value, digits: int = 1) -> str:
        """A number with exactly `digits` decimals."""
        return format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=self.locale)

    def percent(self, share, digits: int = 1) -> str:
        """`share` (0.125) as a percentage ("12.5%")."""
        pattern = f"#,##0.{'0' * digits}%" if digits else "#,##0%"
        return format_percent(share, format=pattern, locale=self.locale)

    def currency(self, amount, code: str = "USD") -> str:
        return format_currency(amount, code, locale=self.locale)

    def date(self, day: datetime.date, style: str = "long") -> str:
        return format_date(day, format=style, locale=self.locale)

    def list(self, items) -> str:
        """Items joined as the language joins a list ("A, B y C"; "A、B和C")."""
        return format_list(list(items), locale=self.locale)

    def js_messages(self, keys) -> dict[str, str]:
        """The messages the map's JavaScript needs, as raw templates (it fills `{named}` itself)."""
        missing = [key for key in keys if key not in self.messages]
        if missing:
            raise MissingMessageError(f"No message(s) {', '.join(missing)} in the {self.lang!r} catalogue.")
        mark = PSEUDO_MARKS if self.marked else ("", "")
        return {key: f"{mark[0]}{self.messages[key]}{mark[1]}" for key in keys}

    @property
    def bcp47(self) -> str:
        """The language tag for the browser (e.g. "es-MX"), for its own number formatting."""
        return "-".join(part for part in (self.locale.language, self.locale.territory) if part)


def load_catalogue(lang: str, folder: Path = LOCALES_DIR) -> dict[str, str]:
    """The catalogue of `lang` as a dict; a clear error if the file is missing or not a flat JSON object."""
    path = folder / f"{lang}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"No catalogue for language {lang!r}: {path} is missing.") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}.") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path} must be one JSON object of key -> text.")
    return data


@cache
def translator(lang: str) -> Translator:
    """The Translator of `lang` (one of LANGUAGES, or PSEUDO), built once per process."""
    if lang == PSEUDO:
        return Translator(PSEUDO, Locale.parse(BABEL_LOCALES[DEFAULT]), load_catalogue(DEFAULT), marked=True)
    if lang not in LANGUAGES:
        raise ValueError(f"Unknown language {lang!r}; use one of: {', '.join(LANGUAGES)}.")
    return Translator(lang, Locale.parse(BABEL_LOCALES[lang]), load_catalogue(lang))


def negotiate(locale: str | None) -> str | None:
    """One of LANGUAGES for a browser or system locale ("es-ES", "es_419", "zh-Hans-CN",
    "en_US.UTF-8"), by its language subtag; None when it is none of ours or not a locale.
    Every Spanish goes to Mexican Spanish and every Chinese (Traditional too: zh-TW, zh-Hant) to
    Simplified Chinese, the nearest of the three for their readers."""
    if not locale:
        return None
    text = locale.split(".")[0].split("@")[0].replace("-", "_")
    if text in ("C", "POSIX"):
        return None
    try:
        language = Locale.parse(text).language
    except (ValueError, UnknownLocaleError):
        language = text.split("_")[0].lower()
    return language if language in LANGUAGES else None


def placeholders(text: str) -> set[str]:
    """The `{named}` placeholders of a message (for the tests that compare catalogues)."""
    return {name for _, name, _, _ in Formatter().parse(text) if name}
