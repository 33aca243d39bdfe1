"""The atlas served from the PostgreSQL registry (docs/database.md): an edit committed in the
database by another analyst appears on an open page without a click (app.follow_database)."""

from __future__ import annotations

import psycopg
import pytest

from geo import db
from tests.harness import REPO_ROOT, open_atlas
from tests.helpers import fresh_database

pytestmark = pytest.mark.browser

EDIT_MS = 30_000  # follow_database looks every 5 s; the revision is re-read every 2 s


@pytest.fixture(scope="module")
def database(database_server):
    with fresh_database(database_server) as url:
        db.init(url)
        db.load(url, REPO_ROOT / "seeds")
        yield url


@pytest.fixture(scope="module")
def app_env(database) -> dict[str, str]:
    return {"ATLAS_DATABASE_URL": database}


def test_an_edit_in_the_database_appears_on_an_open_page(page, app_server, database, page_errors):
    open_atlas(page, app_server, "?state=Quer%C3%A9taro")
    page.get_by_text("Aerocluster de Querétaro").first.wait_for()
    with psycopg.connect(database) as conn:  # another analyst's psql, committed on leaving the block
        conn.execute("UPDATE records SET name = 'Renamed by another analyst' WHERE id = 'cl-que-aerocluster'")
    page.get_by_text("Renamed by another analyst").first.wait_for(timeout=EDIT_MS)
    assert page.get_by_text("Aerocluster de Querétaro").count() == 0
    assert not page_errors
