"""Test-suite settings: Hypothesis profiles and where the app writes its map data.

`ci` (chosen when CI is set, as in `.ci/run`): derandomized, so a run on a fresh clone draws the
same examples every time, with no example database to read or write; no per-example deadline,
since a 2-core machine running the whole suite is slow and uneven. `dev`: random draws, the same
generous deadline. Pick one by hand with `pytest --hypothesis-profile=ci`.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session", autouse=True)
def _map_data_in_a_temporary_folder(tmp_path_factory):
    """The app publishes its map data into ATLAS_CACHE_DIR: for the tests (and the servers they
    start, which inherit it) a temporary folder, never the user's cache."""
    folder = tmp_path_factory.mktemp("atlas-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATLAS_CACHE_DIR", str(folder))
        yield folder
