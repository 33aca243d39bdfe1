"""Where the records come from: the PostgreSQL registry when ATLAS_DATABASE_URL is set (geo.db),
else the seed files (geo.seeds). The revision tells readers when to read again: constant for the
seed files, one step per committed change in the database."""

import os

import geopandas as gpd

from geo import db, seeds

URL_VARIABLE = "ATLAS_DATABASE_URL"


def database_url() -> str | None:
    """The registry's URL, or None when the atlas reads seeds/."""
    return os.environ.get(URL_VARIABLE) or None


def records() -> gpd.GeoDataFrame:
    """The validated records frame (SeedError for bad rows, db.DatabaseError for an unusable database)."""
    url = database_url()
    return seeds.load_records() if url is None else db.records(url)[1]


def revision() -> int:
    """The data's revision (a cheap query); 0 for the seed files, which change only with a restart."""
    url = database_url()
    return 0 if url is None else db.revision(url)
