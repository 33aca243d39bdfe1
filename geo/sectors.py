"""The sector taxonomy: the names users filter by, and the mapping from every label the sources use."""

import csv
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from geo.paths import seeds_dir

# Display order. The five focus sectors of the source documents come first, under fixed names.
SECTORS: tuple[str, ...] = (
    "Aerospace",
    "Automotive",
    "ICT",
    "Energy",
    "Biotechnology",
    "Advanced Manufacturing",
    "Agrifood",
    "Chemicals & Petroleum",
    "Construction & Real Estate",
    "Creative & Media",
    "Electronics & Appliances",
    "Financial Services",
    "Furniture & Forestry",
    "Health & Medical",
    "Logistics",
    "Mining",
    "Textile & Apparel",
    "Tourism",
)


class UnknownSectorError(ValueError):
    """A sector name that is not in the taxonomy; the message lists the valid names."""


def resolve_sectors(names: Iterable[str]) -> tuple[str, ...]:
    """Canonical sector names for user input, matched case-insensitively, in taxonomy order."""
    by_key = {s.casefold(): s for s in SECTORS}
    wanted, unknown = set(), []
    for name in names:
        key = " ".join(str(name).split()).casefold()
        if key in by_key:
            wanted.add(by_key[key])
        else:
            unknown.append(str(name))
    if unknown:
        raise UnknownSectorError(
            f"unknown sector {', '.join(repr(u) for u in unknown)}; valid sectors: {', '.join(SECTORS)}"
        )
    return tuple(s for s in SECTORS if s in wanted)


def sector_map(folder: Path | None = None) -> dict[str, str]:
    """Raw label (case-folded) -> sector, from sector_map.csv in `folder` (default: the seeds folder,
    geo.paths.seeds_dir(), which honours ATLAS_SEEDS_DIR)."""
    return dict(_read_sector_map(_folder(folder)))


def map_raw_label(raw: str, folder: Path | None = None) -> str | None:
    """The sector a source label belongs to, or None when the label is not mapped yet."""
    return _read_sector_map(_folder(folder)).get(" ".join(raw.split()).casefold())


def _folder(folder: Path | None) -> Path:
    return seeds_dir() if folder is None else Path(folder)


@lru_cache(maxsize=8)  # keyed on the folder: another seeds folder is another table
def _read_sector_map(folder: Path) -> dict[str, str]:
    with open(folder / "sector_map.csv", encoding="utf-8", newline="") as fh:
        return {" ".join(row["sector_raw"].split()).casefold(): row["sector"] for row in csv.DictReader(fh)}
