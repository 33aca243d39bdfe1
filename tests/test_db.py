"""The PostgreSQL + PostGIS registry (geo.db, geo.source, `atlas db`) against a real server.

Each test gets a database of its own on the session's server (`database_server` in conftest.py:
the one scripts/test.sh started, or a throwaway cluster). Tests compare with the CSV path itself:
the same frame, the same export files, the same messages for bad rows, the same bytes on dump.
"""

from __future__ import annotations

import shutil
import time

import psycopg
import pytest
import streamlit as st
from geopandas.testing import assert_geodataframe_equal

from geo import boundaries, db, export, schema, seeds, source
from geo.cli import main
from geo.join import Filters
from tests.helpers import DATE, REPO, copy_seeds, fresh_database, map_elements, rewrite_csv, run_app

SEEDS = REPO / "seeds"
EDIT_WAIT = 30  # seconds an edit may take to reach the app (data_revision is re-read every 2 s)


@pytest.fixture
def url(database_server):
    """A new, empty database (PostGIS available, nothing created), dropped after the test."""
    with fresh_database(database_server) as url:
        yield url


@pytest.fixture
def loaded(url):
    db.init(url)
    db.load(url, SEEDS)
    return url


@pytest.fixture
def fresh_caches():
    """The app's caches hold the seed path's frames from other tests: start and end empty."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def sql(url: str, *statements: str) -> None:
    """Run `statements` in one transaction of another connection (another analyst's psql)."""
    with psycopg.connect(url) as conn:
        for statement in statements:
            conn.execute(statement)


def rows(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY row_order").fetchall() for t in set(db.TABLES.values())}


# --------------------------------------------------------------------------- schema


def test_init_applies_each_migration_once(url):
    names = [path.name for path in db.migrations()]
    assert names[0] == "0001_seed_tables.sql"
    assert db.init(url) == names
    assert db.init(url) == []  # idempotent: nothing left to apply
    with psycopg.connect(url) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")] == names
        assert conn.execute("SELECT postgis_lib_version()").fetchone()[0].startswith("3.")


def test_reading_before_init_or_load_says_what_to_run(url):
    with pytest.raises(db.DatabaseError, match=r"run `atlas db init` first"):
        db.revision(url)
    db.init(url)
    with pytest.raises(db.DatabaseError, match=r"holds no clusters.csv.*run `atlas db load seeds/` first"):
        db.records(url)


CLOSED_SETS = [
    (file, column.name, column.values)
    for file, table in schema.SEED_FILES.items()
    for column in table.columns
    if column.values and column.name != "kind"  # kind follows the file (test_kind_follows_the_file)
]


@pytest.mark.parametrize(("file", "column", "values"), CLOSED_SETS, ids=[f"{f}:{c}" for f, c, _ in CLOSED_SETS])
def test_check_constraints_accept_exactly_the_schemas_closed_sets(loaded, file, column, values):
    """A new allowed value in geo/schema.py fails here until a migration allows it too."""
    table = db.TABLES[file]
    where = f"WHERE seed_file = '{file}'" if table == "records" else ""
    with psycopg.connect(loaded) as conn:
        target = conn.execute(f"SELECT min(row_order) FROM {table} {where}").fetchone()[0]
        update = f"UPDATE {table} SET {column} = %s WHERE row_order = {target}"
        for value in [*values, f"  {values[0]} "]:  # padded values pass, as the loader strips them
            conn.execute(update, (value,))
        for value in ("Rocketry", values[0].upper() if values[0] != values[0].upper() else "x"):
            with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
                conn.execute(update, (value,))


@pytest.mark.parametrize(
    ("statement", "error"),
    [
        ("UPDATE records SET kind = 'project' WHERE seed_file = 'clusters.csv'", psycopg.errors.CheckViolation),
        (
            "UPDATE records SET name = '  ' WHERE row_order = (SELECT min(row_order) FROM records)",
            psycopg.errors.CheckViolation,
        ),
        (
            "UPDATE records SET id = (SELECT max(id) FROM records) WHERE row_order = (SELECT min(row_order) FROM records)",
            psycopg.errors.UniqueViolation,
        ),
        (
            "UPDATE citations SET record_id = 'cl-nowhere' WHERE row_order = (SELECT min(row_order) FROM citations)",
            psycopg.errors.ForeignKeyViolation,
        ),
        (
            "UPDATE figures SET quote = '' WHERE row_order = (SELECT min(row_order) FROM figures)",
            psycopg.errors.CheckViolation,
        ),
    ],
    ids=["kind-follows-the-file", "name-not-blank", "id-unique", "citation-names-a-record", "figure-quoted"],
)
def test_the_tables_refuse_what_the_loader_refuses(loaded, statement, error):
    before = db.revision(loaded)
    with pytest.raises(error):
        sql(loaded, statement)
    assert db.revision(loaded) == before


def test_city_records_have_a_postgis_point(loaded):
    with psycopg.connect(loaded) as conn:
        lon, lat, srid = conn.execute(
            "SELECT ST_X(geom), ST_Y(geom), ST_SRID(geom) FROM records WHERE id = 'cl-nle-ciudad-salud'"
        ).fetchone()
        unplaced = conn.execute(
            "SELECT count(*) FROM records WHERE location_precision = 'city' AND geom IS NULL"
        ).fetchone()[0]
    expected = seeds.load_records().set_index("id").loc["cl-nle-ciudad-salud"]
    assert (lon, lat, srid) == (expected.lon, expected.lat, 4326)
    assert unplaced == 0


# --------------------------------------------------------------------------- load, records, dump


def test_load_gives_the_csv_paths_frame_and_export_files(loaded):
    rev, frame = db.records(loaded)
    csv_frame = seeds.load_records()
    assert rev == 1
    assert_geodataframe_equal(frame, csv_frame)
    states = boundaries.load_states("full")
    for layer in export.LAYERS:
        for fmt in ("geojson", "csv", "kml", "fgb"):
            from_db = export.export_file(layer, fmt, export.layer_frame(layer, states, frame, Filters()), date=DATE)
            from_csv = export.export_file(
                layer, fmt, export.layer_frame(layer, states, csv_frame, Filters()), date=DATE
            )
            assert from_db == from_csv, (layer, fmt)


def test_the_source_follows_atlas_database_url(loaded, monkeypatch):
    monkeypatch.delenv(source.URL_VARIABLE, raising=False)
    assert source.database_url() is None and source.revision() == 0
    monkeypatch.setenv(source.URL_VARIABLE, loaded)
    sql(loaded, "UPDATE records SET name = 'Renamed in psql' WHERE id = 'cl-que-aerocluster'")
    assert source.revision() == 2
    assert source.records().set_index("id").loc["cl-que-aerocluster", "name"] == "Renamed in psql"


def test_dump_writes_the_loaded_files_byte_for_byte(loaded, tmp_path):
    written = db.dump(loaded, tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(schema.SEED_FILES)
    for path in written:
        assert path.read_bytes() == (SEEDS / path.name).read_bytes(), path.name


def test_an_edited_table_dumps_in_the_seed_files_dialect(loaded, tmp_path):
    """After an edit the rows are written anew (minimal quoting, \\n): only the edited line changes."""
    sql(loaded, "UPDATE records SET name = 'Aeroclúster, \"renamed\"' WHERE id = 'cl-que-aerocluster'")
    db.dump(loaded, tmp_path / "out")
    old = (SEEDS / "clusters.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    new = (tmp_path / "out" / "clusters.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert len(changed) == 1
    assert changed[0][0].startswith("cl-que-aerocluster,") and '"Aeroclúster, ""renamed"""' in changed[0][1]
    for name in set(schema.SEED_FILES) - {"clusters.csv"}:
        assert (tmp_path / "out" / name).read_bytes() == (SEEDS / name).read_bytes()
    db.load(loaded, tmp_path / "out")  # the dump is a seed folder the loader accepts
    assert db.records(loaded)[1].set_index("id").loc["cl-que-aerocluster", "name"] == 'Aeroclúster, "renamed"'


def test_the_loaders_own_formatting_survives_the_round_trip(url, tmp_path):
    """A file the CSV loader accepts but the dump would write differently (CRLF, a BOM, needless
    quotes, a blank line) comes back exactly as it was."""
    folder = copy_seeds(tmp_path / "seeds")
    text = (folder / "states.csv").read_text(encoding="utf-8")
    odd = "\ufeff" + text.replace("\n", "\r\n").replace(",Aguascalientes,", ',"Aguascalientes",', 1) + "\r\n"
    (folder / "states.csv").write_bytes(odd.encode("utf-8"))
    db.init(url)
    db.load(url, folder)
    db.dump(url, tmp_path / "out")
    assert (tmp_path / "out" / "states.csv").read_bytes() == odd.encode("utf-8")


def test_a_bad_row_aborts_the_load_with_the_csv_loaders_message(loaded, tmp_path):
    folder = copy_seeds(tmp_path / "seeds")
    sql(loaded, "UPDATE records SET notes = 'an edit made before the load' WHERE id = 'cl-que-aerocluster'")
    before_rev, before_rows = db.revision(loaded), rows(loaded)
    [line] = rewrite_csv(
        folder / "projects.csv", lambda row: row["id"] == "pr-que-bombardier-2004" and row.update(year="3024") is None
    )
    with pytest.raises(seeds.SeedError) as csv_error:
        seeds.load_records(folder)
    with pytest.raises(seeds.SeedError) as db_error:
        db.load(loaded, folder)
    assert db_error.value.problems == csv_error.value.problems
    assert (
        f"projects.csv, line {line}, column 'year': '3024' — expected a year between 1900 and"
        in db_error.value.problems[0]
    )
    assert db.revision(loaded) == before_rev and rows(loaded) == before_rows


def test_a_row_the_database_refuses_rolls_the_whole_load_back(loaded):
    """Should a table check ever be stricter than the loader, the load names the row and changes nothing."""
    before_rev, before_rows = db.revision(loaded), rows(loaded)
    sql(loaded, "ALTER TABLE figures ADD CONSTRAINT stricter CHECK (unit <> 'direct jobs') NOT VALID")
    with pytest.raises(
        db.DatabaseError, match=r"figures.csv, line 3: the database refused the row .*stricter.*nothing was loaded"
    ):
        db.load(loaded, SEEDS)
    assert db.revision(loaded) == before_rev and rows(loaded) == before_rows


# --------------------------------------------------------------------------- revisions and snapshots


def test_one_transaction_is_one_revision_step_and_readers_never_see_half_of_it(loaded):
    assert db.revision(loaded) == 1
    with psycopg.connect(loaded) as analyst:  # an edit in progress: two statements, not committed
        analyst.execute("DELETE FROM citations WHERE record_id = 'cl-que-aerocluster'")
        analyst.execute("DELETE FROM figures WHERE record_id = 'cl-que-aerocluster'")
        analyst.execute("DELETE FROM records WHERE id = 'cl-que-aerocluster'")
        rev, frame = db.records(loaded)
        assert rev == 1 and "cl-que-aerocluster" in set(frame["id"])
    rev, frame = db.records(loaded)  # committed on leaving the block
    assert rev == 2 and "cl-que-aerocluster" not in set(frame["id"])
    assert len(frame) == len(seeds.load_records()) - 1


def test_an_edit_the_checks_cannot_see_gives_the_loaders_message(loaded):
    sql(loaded, "UPDATE records SET state = 'Atlantis' WHERE id = 'cl-que-aerocluster'")
    with pytest.raises(
        seeds.SeedError, match=r"clusters.csv, line \d+, column 'state': 'Atlantis' — expected a Mexican state"
    ):
        db.records(loaded)


# --------------------------------------------------------------------------- the app


def test_an_edit_in_the_database_reaches_the_running_app(loaded, monkeypatch, fresh_caches):
    monkeypatch.setenv(source.URL_VARIABLE, loaded)
    at = run_app({"state": "Querétaro"})  # the state panel lists the records' names
    assert not at.exception and not at.error and map_elements(at)
    assert "Aerocluster de Querétaro" in page_text(at)
    clusters = int(next(m.value for m in at.markdown if m.value.startswith("#### ")).split()[1])
    sql(loaded, "UPDATE records SET name = 'Aeroclúster renamed by an analyst' WHERE id = 'cl-que-aerocluster'")
    deadline = time.monotonic() + EDIT_WAIT
    while "Aeroclúster renamed by an analyst" not in page_text(at) and time.monotonic() < deadline:
        at.run()  # a rerun, as a click would cause; the revision is re-read every 2 s
    assert "Aeroclúster renamed by an analyst" in page_text(at)
    assert f"#### {clusters} cluster" in page_text(at) and not at.exception  # a rename changes no count

    sql(
        loaded,
        "DELETE FROM citations WHERE record_id = 'cl-que-aerocluster'",
        "DELETE FROM figures WHERE record_id = 'cl-que-aerocluster'",
        "DELETE FROM records WHERE id = 'cl-que-aerocluster'",
    )
    deadline = time.monotonic() + EDIT_WAIT
    while f"#### {clusters - 1} cluster" not in page_text(at) and time.monotonic() < deadline:
        at.run()
    assert f"#### {clusters - 1} cluster" in page_text(at) and "Aeroclúster renamed" not in page_text(at)


def page_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_an_unreachable_database_is_one_message_on_the_page(monkeypatch, fresh_caches):
    monkeypatch.setenv(source.URL_VARIABLE, "postgresql://atlas@127.0.0.1:1/atlas")
    at = run_app()
    assert not at.exception
    [error] = at.error
    assert error.value.startswith(
        "The atlas database cannot be read: cannot reach the database postgresql://atlas@127.0.0.1:1/atlas"
    )
    assert not map_elements(at)


# --------------------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["db", "init"],
            2,
            "atlas: no database: pass --url postgresql://user@host:port/dbname or set ATLAS_DATABASE_URL",
        ),
        (
            ["db", "load", str(SEEDS), "--url", "postgresql://atlas@127.0.0.1:1/atlas"],
            1,
            'atlas: cannot reach the database postgresql://atlas@127.0.0.1:1/atlas: connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused',
        ),
        (
            ["db", "dump", "out", "--url", "postgresql://atlas:secret@127.0.0.1:1/atlas"],
            1,
            "postgresql://atlas@127.0.0.1:1/atlas: connection failed",
        ),
        (
            ["db", "init", "--url", "mysql://atlas@localhost/atlas"],
            1,
            "atlas: the database URL must start with postgresql://",
        ),
        (["db", "load", "--url", "postgresql://atlas@127.0.0.1:1/atlas"], 2, "atlas: db load needs a folder DIR"),
        (["db", "init", "seeds", "--url", "postgresql://atlas@127.0.0.1:1/atlas"], 2, "atlas: db init takes no folder"),
    ],
    ids=["no-url", "unreachable", "password-never-shown", "not-postgresql", "load-without-folder", "init-with-folder"],
)
def test_cli_messages_without_a_usable_database(args, code, message, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv(source.URL_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seeds").mkdir()
    assert main(args) == code
    err = capsys.readouterr().err
    assert message in err and "secret" not in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_init_load_dump(url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(source.URL_VARIABLE, url)
    assert main(["db", "init"]) == 0
    assert main(["db", "init"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Applied 0001_seed_tables.sql",
        "The database is up to date; nothing to apply",
    ]
    assert main(["db", "load", str(SEEDS)]) == 0
    assert main(["db", "dump", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Loaded {SEEDS} (revision 1)",
        f"Wrote 7 seed files to {tmp_path / 'out'}",
    ]
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == {
        n: (SEEDS / n).read_bytes() for n in schema.SEED_FILES
    }

    assert main(["db", "dump", str(tmp_path / "out")]) == 1  # not empty: nothing replaced
    assert "is not an empty folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["db", "dump", str(tmp_path / "empty")]) == 0
    assert main(["db", "dump", str(tmp_path / "missing" / "out")]) == 1
    assert "is not a writable folder" in capsys.readouterr().err and not (tmp_path / "missing").exists()


def test_cli_load_of_bad_seeds_prints_the_exports_messages_and_loads_nothing(url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(source.URL_VARIABLE, url)
    db.init(url)
    folder = copy_seeds(tmp_path / "seeds")
    rewrite_csv(
        folder / "clusters.csv", lambda row: row["id"] == "cl-que-aerocluster" and row.update(sector="Rocketry") is None
    )
    assert main(["db", "load", str(folder)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "atlas: the seeds have 1 problem(s); nothing loaded."
    assert "column 'sector': 'Rocketry' — expected one of Aerospace" in err[0]
    with pytest.raises(db.DatabaseError, match="holds no clusters.csv"):
        db.snapshot(url)
    shutil.rmtree(folder)
