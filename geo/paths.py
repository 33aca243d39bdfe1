"""Where the atlas finds its files; one override point for the source documents."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_ROOT / "seeds"
GEO_DATA_DIR = Path(__file__).resolve().parent / "data"


def seeds_dir() -> Path:
    """The curated seed files (seeds/ unless ATLAS_SEEDS_DIR points at an edited copy)."""
    return Path(os.environ.get("ATLAS_SEEDS_DIR", SEEDS_DIR))


def source_docs_dir() -> Path:
    """The seed documents (../shared/seeds beside the checkout unless ATLAS_SOURCE_DOCS is set)."""
    return Path(os.environ.get("ATLAS_SOURCE_DOCS", REPO_ROOT.parent / "shared" / "seeds"))
