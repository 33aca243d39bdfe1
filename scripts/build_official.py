"""Copy INEGI's population and exports tables into geo/data/inegi/ (see geo/data/inegi/README.md).

Source: ../shared/data/ beside the checkout (or --source DIR), the project's folder of outside
data, whose README gives the provenance of each file and the sha256 of the two data tables.

Steps:
1. Read each file in FILES from the source folder; stop unless its sha256 matches FILES.
2. Write it, byte for byte, into the output folder (geo/data/inegi/ unless --out DIR).
3. Load the copies through geo.official, which checks columns, codes, years and totals.

Run: uv run python scripts/build_official.py [--source DIR] [--out DIR]
"""

import argparse
import hashlib
from pathlib import Path

from geo.paths import GEO_DATA_DIR, REPO_ROOT

SOURCE_DIR = REPO_ROOT.parent / "shared" / "data"
OUT_DIR = GEO_DATA_DIR / "inegi"
# source path (relative to SOURCE_DIR) -> sha256. The first two are published in
# ../shared/data/README.md; the catalog's is not published there, so it is the digest of the
# copy we took it from on 2026-12-02 (it pins that copy, not an INEGI release).
FILES = {
    "inegi-population-2020/population_by_state_2020.csv": (
        "9100a65be7c72d8f9530a65610d850cdc3354b650042c958b44e55fe7ef32164"
    ),
    "inegi-exports-by-state/exports_by_state_subsector_2007_2025.csv": (
        "717a071c20e182ccff785699736d5bc466a62f2965a6c5d1c6d3aabcd59c9359"
    ),
    "inegi-exports-by-state/subsector_catalog.csv": "20cf7dca6f07c99fdad89c7dbbef4d662e29ecda3f2b511b1c82032fce6b038b",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE_DIR, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args()

    copies = {name: _verified(args.source / name, digest) for name, digest in FILES.items()}
    args.out.mkdir(parents=True, exist_ok=True)
    for name, raw in copies.items():
        path = args.out / Path(name).name
        path.write_bytes(raw)
        print(f"{path}: {len(raw):,} bytes, sha256 {FILES[name]}")
    if args.out.resolve() == OUT_DIR.resolve():
        _check()


def _verified(path: Path, expected: str) -> bytes:
    if not path.is_file():
        raise SystemExit(f"{path} not found; pass --source DIR, the folder holding {Path(*path.parts[-2:])}")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected:
        raise SystemExit(f"{path}: sha256 is {digest}, expected {expected}; not copied (is this another release?)")
    return raw


def _check() -> None:
    from geo import official  # reads OUT_DIR, so only meaningful when we wrote there

    population, exports = official.load_population(), official.load_exports()
    print(f"checked: {len(population)} states, {population['population'].sum():,} inhabitants; {len(exports):,} rows")


if __name__ == "__main__":
    main()
