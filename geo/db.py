"""The optional PostgreSQL + PostGIS registry of the seed files (docs/database.md).

The database holds every seed file `geo.seeds.load_records` reads (schema.SEED_FILES) as tables of
the fields' text, in file order. `load` validates a seed folder with the CSV loader itself and
replaces every row in one transaction; `records` reads one snapshot back into seed files in a temp
folder and runs the same loader on them, so the database gives exactly the frame the CSVs give.
`dump` writes the files back byte for byte. Every transaction that changes a table moves
`atlas_revision` one step (statement triggers), which `revision` reads cheaply.
"""

import csv
import hashlib
import io
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import psycopg
from psycopg import sql

from geo import schema, seeds

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Seed file -> its table; both record files share one table (ids are unique across them).
TABLES = {name: "records" if name in schema.RECORD_FILES else name.removesuffix(".csv") for name in schema.SEED_FILES}
CONNECT_TIMEOUT = 5  # seconds: an unreachable server is reported, not waited on


class DatabaseError(Exception):
    """The database cannot be used as asked; the message says why and what to do."""


def init(url: str) -> list[str]:
    """Apply the migrations not applied yet, in order and in one transaction (all or none);
    returns their names."""
    applied = []
    with _connect(url) as conn:
        _check_postgis(conn)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('atlas_migrations'))")  # one init at a time
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, "
                         "applied_at timestamptz NOT NULL DEFAULT now())")  # fmt: skip
            done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
            for path in migrations():
                if path.name not in done:
                    conn.execute(path.read_text(encoding="utf-8"))
                    conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (path.name,))
                    applied.append(path.name)
    return applied


def migrations() -> list[Path]:
    """The migration files in the order they apply."""
    return sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))


def load(url: str, seeds_dir: Path) -> int:
    """Validate `seeds_dir` as the CSV loader does (SeedError with its messages, nothing touched),
    then replace every row in one transaction; returns the new revision."""
    folder = Path(seeds_dir)
    seeds.load_records(folder)
    files = {name: _parse(name, (folder / name).read_bytes()) for name in schema.SEED_FILES}
    with _connect(url) as conn:
        _check_schema(conn)
        try:
            _replace(conn, files)
        except psycopg.errors.IntegrityError as err:  # a deferred check at commit (citations' record ids)
            raise DatabaseError(
                f"the database refused the seeds ({err.diag.message_primary}); nothing was loaded"
            ) from err
        return _revision(conn)


def _replace(conn: psycopg.Connection, files: dict) -> None:
    """Every seed table's rows replaced by the files' rows, in one transaction."""
    with conn.transaction():
        for table in dict.fromkeys(TABLES.values()):
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
        conn.execute("DELETE FROM seed_files")
        for name, (header, rows, raw) in files.items():
            _insert(conn, name, header, rows)
            conn.execute("INSERT INTO seed_files (name, header, loaded, loaded_rows) VALUES (%s, %s, %s, %s)",
                         (name, header, raw, _digest(header, [r for _, r in rows])))  # fmt: skip


def dump(url: str, out_dir: Path) -> list[Path]:
    """Write the seed files of one snapshot into `out_dir` (new or empty), completely or not at all."""
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DatabaseError(f"{out} exists and is not an empty folder; name a new or empty folder")
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        raise DatabaseError(f"cannot write in {out.parent}: it is not a writable folder")
    _, files = snapshot(url)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as err:
        raise DatabaseError(f"cannot write in {out.parent}: {err.strerror or err}") from err
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        tmp.chmod(0o755)  # a folder like any other, not mkdtemp's private one
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException as err:
        for path in tmp.glob("*"):
            path.unlink()
        tmp.rmdir()
        if isinstance(err, OSError):
            raise DatabaseError(f"cannot write {out}: {err.strerror or err}; nothing written") from err
        raise
    return [out / name for name in files]


def records(url: str) -> tuple[int, gpd.GeoDataFrame]:
    """The revision and the records frame of one snapshot, built by geo.seeds.load_records
    (SeedError when an edit in the database broke a rule the table checks do not cover)."""
    rev, files = snapshot(url)
    with tempfile.TemporaryDirectory(prefix="atlas-db-") as tmp:
        for name, data in files.items():
            Path(tmp, name).write_bytes(data)
        return rev, seeds.load_records(Path(tmp))


def revision(url: str) -> int:
    """The data's revision: one step per committed change to any seed table."""
    with _connect(url) as conn:
        _check_schema(conn)
        return _revision(conn)


def _revision(conn: psycopg.Connection) -> int:
    """The counter the triggers of migration 0001 move."""
    return conn.execute("SELECT revision FROM atlas_revision").fetchone()[0]


def snapshot(url: str) -> tuple[int, dict[str, bytes]]:
    """The revision and every seed file's bytes, read in one REPEATABLE READ snapshot."""
    with _connect(url) as conn:
        _check_schema(conn)
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            rev = _revision(conn)
            stored = {name: (header, bytes(raw), digest)
                      for name, header, raw, digest in conn.execute("SELECT * FROM seed_files")}  # fmt: skip
            files = {name: _file(conn, name, *stored[name]) for name in schema.SEED_FILES if name in stored}
    missing = [name for name in schema.SEED_FILES if name not in files]
    if missing:
        raise DatabaseError(f"the database holds no {', '.join(missing)}: run `atlas db load seeds/` first")
    return rev, files


def _connect(url: str) -> psycopg.Connection:
    if not url.startswith(("postgresql://", "postgres://")):
        raise DatabaseError("the database URL must start with postgresql:// (postgresql://user@host:port/dbname)")
    try:
        return psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT, autocommit=True)
    except psycopg.Error as err:
        reason = " ".join(str(err).split()) or type(err).__name__  # libpq's lines, as one
        raise DatabaseError(f"cannot reach the database {_shown(url)}: {reason}") from err


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "(a URL libpq cannot read)"
    user = f"{info['user']}@" if info.get("user") else ""
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{info.get('host', '')}{port}/{info.get('dbname', '')}"


def _check_postgis(conn: psycopg.Connection) -> None:
    if conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone() is None:
        raise DatabaseError("PostGIS is not installed on the database server; install it (Debian: "
                            "apt-get install postgresql-15-postgis-3) and run `atlas db init` again")  # fmt: skip


def _check_schema(conn: psycopg.Connection) -> None:
    """The migrations this code expects are all applied."""
    if conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is None:
        raise DatabaseError("the database has no atlas tables: run `atlas db init` first")
    done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    pending = [path.name for path in migrations() if path.name not in done]
    if pending:
        raise DatabaseError(f"the database lacks migration(s) {', '.join(pending)}: run `atlas db init`")


def _parse(name: str, raw: bytes) -> tuple[list[str], list[tuple[int, list[str]]], bytes]:
    """A seed file the loader accepted: header, (line, fields) of each non-blank row, the bytes."""
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), strict=True)
    header = next(reader)
    rows, start = [], reader.line_num + 1
    for values in reader:
        line, start = start, reader.line_num + 1
        if any(v.strip() for v in values):  # the loader skips blank rows too
            rows.append((line, values))
    return header, rows, raw


def _insert(conn: psycopg.Connection, name: str, header: list[str], rows: list[tuple[int, list[str]]]) -> None:
    table = TABLES[name]
    extra = ["seed_file"] if table == "records" else []
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, [*extra, *header])),
        sql.SQL(", ").join(sql.Placeholder() * (len(extra) + len(header))),
    )
    with conn.cursor() as cur:
        for line, values in rows:  # one row at a time, so a refused row is named
            try:
                cur.execute(query, [name] * len(extra) + values)
            except psycopg.errors.IntegrityError as err:
                detail = err.diag.message_primary or str(err)
                raise DatabaseError(f"{name}, line {line}: the database refused the row ({detail}); "
                                    "nothing was loaded") from err  # fmt: skip


def _file(conn: psycopg.Connection, name: str, header: list[str], loaded: bytes, digest: str) -> bytes:
    """A seed file as written by the CSV dialect of seeds/ (minimal quoting, \\n line ends), or
    the very bytes loaded while its rows still read as they were loaded."""
    where = sql.SQL("WHERE seed_file = {}").format(sql.Literal(name)) if TABLES[name] == "records" else sql.SQL("")
    query = sql.SQL("SELECT {} FROM {} {} ORDER BY row_order").format(
        sql.SQL(", ").join(map(sql.Identifier, header)), sql.Identifier(TABLES[name]), where
    )
    rows = [list(row) for row in conn.execute(query)]
    if _digest(header, rows) == digest:
        return loaded
    return _csv(header, rows)


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _digest(header: list[str], rows: list[list[str]]) -> str:
    return hashlib.sha256(_csv(header, rows)).hexdigest()
