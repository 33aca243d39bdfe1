"""Test-suite settings: Hypothesis profiles and where the app writes its map data.

`ci` (chosen when CI is set, as in `.ci/run`): derandomized, so a run on a fresh clone draws the
same examples every time, with no example database to read or write; no per-example deadline,
since a 2-core machine running the whole suite is slow and uneven. `dev`: random draws, the same
generous deadline. Pick one by hand with `pytest --hypothesis-profile=ci`.
"""

import os
import subprocess
from pathlib import Path

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


@pytest.fixture(scope="session")
def database_server():
    """A PostgreSQL + PostGIS server for tests/test_db.py: ATLAS_TEST_DATABASE_URL (scripts/test.sh
    starts one), else a throwaway cluster of scripts/pg_cluster.sh, stopped at the end. A server
    that cannot be had fails the tests that need it, with the script's reason (never a skip)."""
    url = os.environ.get("ATLAS_TEST_DATABASE_URL")
    if url:
        yield url
        return
    script = Path(__file__).resolve().parent.parent / "scripts" / "pg_cluster.sh"
    started = subprocess.run(["bash", str(script), "start"], capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"no PostgreSQL + PostGIS server for the database tests:\n{started.stderr}", pytrace=False)
    folder, url = started.stdout.split()
    try:
        yield url
    finally:
        subprocess.run(["bash", str(script), "stop", folder], check=True)
