"""The `atlas` command line.

    atlas export --layer states|clusters|projects [--format FORMAT] [--out PATH] [--force] [--no-bundle]
                 [--sector NAME]... [--years FROM-TO] [--known-years-only] [--date YYYY-MM-DD] [--extra FILE]
    atlas map --out FILE.png|.svg|.pdf [--size slide|a4] [--metric KEY] [--export-year YYYY]
              [--state NAME] [--link-base URL] [--force] [filters and --date as above]
    atlas db init|load DIR|dump DIR [--url postgresql://...]

By default it writes the zip the app's download button gives for the same filters (data file,
DATA_DICTIONARY.md, SOURCES.md, FILTERS.json), named as the app names it unless --out says
otherwise; --no-bundle writes the bare data file, whose format may then come from its extension.
--extra FILE adds the user's own file (read as the app's "Your own data" reads it, geo.upload) to
the bundle as `atlas-extra.<ext>`, said to be the user's in SOURCES.md and FILTERS.json; a bad row
is listed on stderr and nothing is written (exit code 2).
`atlas map` writes the map image the app's "Export this view" gives for the same view
(layers.mapimage.view_map: the same classes, legend, caveats and sources as the screen).
FORMAT is one of geo.export.FORMATS. Filters are checked as the app checks a link's
(geo.filters): a year range overlapping the data's years is clamped with a notice, one outside
them is an error. With ATLAS_DATABASE_URL set, both read the records from that database (geo.source).
`atlas db` creates the database's tables, loads a seed folder into it, or dumps it back (geo.db,
docs/database.md); the URL is --url, else ATLAS_DATABASE_URL.

--out must name a regular file in an existing folder; an existing file is replaced only with
--force (keeping its permissions), never a device, FIFO, symlink or folder.

Exit codes: 0 written; 1 the seeds failed validation, the database cannot be used or the file
could not be written; 2 bad
arguments (unknown sector, years outside the data, a --out that cannot be written safely, a
format that contradicts the file name, an --extra file with bad rows, ...); 128+N stopped by signal N while writing; 130
interrupted (Ctrl-C). Nothing is left on disk unless the exit code is 0.
"""

import argparse
import contextlib
import datetime
import os
import signal
import stat
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from geo import boundaries, db, export, i18n, seeds, source, upload
from geo.filters import FilterError, check_filters
from geo.join import Filters, year_bounds
from geo.schema import LABELS
from geo.sectors import SECTORS
from geo.view import YEAR_RANGE_FORMAT

# Signals that stop a write cleanly (SIGHUP does not exist on Windows).
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class UsageError(Exception):
    """Arguments that cannot be used; the message says what to do instead (exit code 2)."""


class Stopped(BaseException):
    """A stop signal arrived while writing; a BaseException so every cleanup on the way runs."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse exits on bad arguments and --help; we return codes
        return int(exit_.code or 0)
    tr = i18n.translator(cli_lang(args.lang, os.environ))
    t = tr.t
    try:
        return {"export": _export, "map": _map, "db": _db}[args.command](args, tr)
    except UsageError as error:
        print(f"atlas: {error}", file=sys.stderr)
        return 2
    except Stopped as stop:
        print(t("cli.stopped", signal=signal.Signals(stop.signum).name), file=sys.stderr)
        return 128 + stop.signum
    except KeyboardInterrupt:
        print(t("cli.interrupted"), file=sys.stderr)
        return 130


def cli_lang(chosen: str | None, environ: Mapping[str, str]) -> str:
    """The messages' language: --lang, else the locale (LC_ALL, LC_MESSAGES, LANG, as POSIX reads
    them), else English."""
    if chosen:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            return i18n.negotiate(environ[name]) or i18n.DEFAULT
    return i18n.DEFAULT


def _add_lang(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--lang", choices=i18n.LANGUAGES, help="language of the messages and the bundle's headings; default: the locale"
    )


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """--sector, --years and --known-years-only, read back by filters_from_args."""
    parser.add_argument(
        "--sector",
        action="append",
        default=[],
        metavar="NAME",
        help=f"keep only this sector (repeatable; any letter case): {', '.join(SECTORS)}",
    )
    parser.add_argument(
        "--years",
        metavar="FROM-TO",
        help=f"keep records of these years, inclusive ({YEAR_RANGE_FORMAT}); unknown years stay; "
        "default: the data's years",
    )
    parser.add_argument("--known-years-only", action="store_true", help="drop records whose year is unknown")
    parser.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="LABEL",
        help=f"keep only records with this ECEI label (repeatable; any letter case, 'gold' for 'Gold Label'): "
        f"{', '.join(LABELS)}",
    )


def filters_from_args(args: argparse.Namespace, records) -> Filters:
    """The checked filters of `args` for `records` (the data's years bound --years); notices go to
    stderr; UsageError for a value that cannot be used."""
    try:
        filters, notices = check_filters(
            args.sector, args.years, args.known_years_only, year_bounds=year_bounds(records)
        )
    except FilterError as error:
        raise UsageError(str(error)) from error
    for notice in notices:
        print(f"atlas: {notice}", file=sys.stderr)
    by_key = {key: label for label in LABELS for key in (label.casefold(), label.casefold().removesuffix(" label"))}
    unknown = [label for label in args.label if label.casefold() not in by_key]
    if unknown:
        raise UsageError(f"unknown label(s) {', '.join(unknown)}; valid: {', '.join(LABELS)}")
    chosen = {by_key[label.casefold()] for label in args.label}
    return replace(filters, labels=tuple(label for label in LABELS if label in chosen))


def safe_output(text: str, *, force: bool) -> Path:
    """The path `text` names, if writing there can replace nothing but a regular file, and that
    only with `force`; UsageError saying why not."""
    if text in ("", "-"):
        raise UsageError(f"--out {text!r} is not a file name (atlas writes files, not standard output)")
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.name in ("", ".", ".."):
        raise UsageError(f"--out {text} is a folder; name a file in it")
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        found = None
    if found is not None:
        if stat.S_ISLNK(found.st_mode):
            raise UsageError(f"--out {text} is a symbolic link; name the file itself")
        if stat.S_ISDIR(found.st_mode):
            raise UsageError(f"--out {text} is a folder; name a file in it")
        if not stat.S_ISREG(found.st_mode):
            raise UsageError(f"--out {text} is not a regular file (a device, FIFO or socket); name a file")
        if not force:
            raise UsageError(f"--out {text} exists; use --force to replace it")
    if not path.parent.is_dir():
        raise UsageError(f"--out {text}: the folder {path.parent} does not exist")
    return path


def output_format(path: Path | None, fmt: str | None, extensions: Mapping[str, str]) -> str:
    """The format `fmt`, or the one whose extension (format -> extension) ends the file's name;
    UsageError when neither says or they disagree."""
    name = path.name.casefold() if path is not None else ""
    inferred = next((key for key, extension in extensions.items() if name.endswith(extension)), None)
    if fmt is None:
        if inferred is None:
            known = ", ".join(f"{extension} ({key})" for key, extension in extensions.items())
            shown = repr(name) if name else "the output"
            raise UsageError(f"cannot tell the format of {shown}: pass --format or end --out with {known}")
        return inferred
    if path is not None and inferred != fmt:
        raise UsageError(f"--format {fmt} contradicts --out {path.name}: a {fmt} file ends with {extensions[fmt]}")
    return fmt


def write_output(path: Path, data: bytes, *, force: bool) -> None:
    """Write `data` to `path` atomically; a stop signal meanwhile leaves nothing behind (Stopped)."""
    try:
        with _stop_on_signals():
            export.write_atomic(path, data, replace=force)
    except FileExistsError as error:  # it appeared since safe_output looked
        raise UsageError(f"--out {path} exists; use --force to replace it") from error


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="atlas", description="Mexico Cluster Atlas tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    command = commands.add_parser(
        "export",
        help="write a layer to a file",
        description="Write one layer, filtered like the map, as the app's download bundle or a bare data file.",
    )
    command.add_argument("--layer", required=True, choices=export.LAYERS)
    command.add_argument(
        "--format", choices=export.FORMATS, help="the data format; with --no-bundle, default: from --out's extension"
    )
    command.add_argument("--out", metavar="PATH", help="the file to write; default: the bundle's (or file's) own name")
    command.add_argument("--force", action="store_true", help="replace --out if it is an existing regular file")
    command.add_argument("--no-bundle", action="store_true", help="write the bare data file instead of the zip")
    _add_lang(command)
    command.add_argument(
        "--date", type=_date, metavar="YYYY-MM-DD", help="the export date in names and files; default: today"
    )
    command.add_argument(
        "--extra",
        metavar="FILE",
        help="add your own file of clusters or projects (CSV, GeoJSON, GeoPackage or XLSX; docs/your-data.md) to "
        "the bundle as atlas-extra.<ext>, apart from the documented layer",
    )
    add_filter_arguments(command)
    _map_parser(commands)
    _db_parser(commands)
    return parser


def _map_parser(commands) -> None:
    from geo import metrics, official

    command = commands.add_parser(
        "map",
        help="write the map of a view as PNG, SVG or PDF",
        description="Draw the map of one view (filters, metric, export year) as the app's 'Export this view' does.",
    )
    command.add_argument("--out", required=True, metavar="FILE", help="the image to write (.png, .svg or .pdf)")
    command.add_argument("--format", choices=("png", "svg", "pdf"), help="default: from --out's extension")
    command.add_argument("--size", choices=("slide", "a4"), default="slide", help="16:9 slide or A4 landscape")
    command.add_argument("--metric", choices=metrics.METRICS, default="records", help="what colours the states")
    first, last = official.EXPORT_YEARS
    command.add_argument(
        "--export-year", type=int, default=last, metavar="YYYY", help=f"the exports metrics' year, {first}-{last}"
    )
    command.add_argument("--state", metavar="NAME", help="outline this state (any spelling)")
    command.add_argument("--link-base", default="http://localhost:8501/", metavar="URL",
                         help="the app's address, for the link printed on the map")  # fmt: skip
    command.add_argument("--force", action="store_true", help="replace --out if it is an existing regular file")
    command.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="the date printed on the map; default: today")
    _add_lang(command)
    add_filter_arguments(command)


def _db_parser(commands) -> None:
    command = commands.add_parser(
        "db",
        help="the optional PostgreSQL + PostGIS registry: init, load, dump",
        description="Create the registry's tables, load a seed folder into it (validated as the CSV loader "
        "validates, all or nothing), or write its seed files back (docs/database.md).",
    )
    command.add_argument("action", choices=("init", "load", "dump"))
    command.add_argument("folder", nargs="?", metavar="DIR", help="load: the seed folder; dump: a new or empty folder")
    command.add_argument("--url", help=f"postgresql://user@host:port/dbname; default: ${source.URL_VARIABLE}")
    _add_lang(command)


def _db(args: argparse.Namespace, tr: i18n.Translator) -> int:
    url = args.url or source.database_url()
    if not url:
        raise UsageError(f"no database: pass --url postgresql://user@host:port/dbname or set {source.URL_VARIABLE}")
    if (args.folder is None) != (args.action == "init"):
        raise UsageError("db init takes no folder" if args.action == "init" else f"db {args.action} needs a folder DIR")
    try:
        if args.action == "init":
            applied = db.init(url)
            print(tr.t("cli.db_applied", migrations=tr.list(applied)) if applied else tr.t("cli.db_up_to_date"))
        elif args.action == "load":
            if not Path(args.folder).is_dir():
                raise UsageError(f"{args.folder} is not a folder of seed files")
            print(tr.t("cli.db_loaded", folder=args.folder, revision=db.load(url, Path(args.folder))))
        else:
            written = db.dump(url, Path(args.folder))
            print(tr.t("cli.db_dumped", count=len(written), folder=args.folder))
    except db.DatabaseError as error:
        print(f"atlas: {error}", file=sys.stderr)
        return 1
    except seeds.SeedError as error:
        _seed_problems(error, tr.t("cli.seed_problems_not_loaded", count=len(error.problems)))
        return 1
    return 0


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:  # argparse would swap a ValueError's message for its own
        raise argparse.ArgumentTypeError(f"invalid date {text!r}: expected YYYY-MM-DD") from error


def _records(tr: i18n.Translator):
    """The validated records of the atlas's source (geo.source), or None after listing every
    problem on stderr (exit code 1)."""
    try:
        return source.records()
    except db.DatabaseError as error:
        print(f"atlas: {error}", file=sys.stderr)
        return None
    except seeds.SeedError as error:
        _seed_problems(error, tr.t("cli.seed_problems", count=len(error.problems)))
        return None


def _seed_problems(error: seeds.SeedError, summary: str) -> None:
    """Every seed problem on stderr, then the `summary` line (how many, and what that means)."""
    for problem in error.problems:
        print(problem, file=sys.stderr)
    print(summary, file=sys.stderr)


def _export(args: argparse.Namespace, tr: i18n.Translator) -> int:
    extensions = {key: spec.extension for key, spec in export.FORMATS.items()}
    out = None if args.out is None else safe_output(args.out, force=args.force)
    pick = output_format if args.no_bundle else _bundle_format
    fmt = pick(out, args.format, extensions)
    if args.extra is not None and args.no_bundle:
        raise UsageError("--extra adds a file to the bundle; drop --no-bundle")
    extra = None if args.extra is None else _extra(args.extra)
    records = _records(tr)
    if records is None:
        return 1
    filters = filters_from_args(args, records)
    # An export is for analysis rather than drawing, so it gets the full-resolution shapes.
    states = boundaries.load_states(resolution="full") if args.layer == "states" else None
    date = args.date or datetime.date.today()
    frame = export.layer_frame(args.layer, states, records, filters)
    if args.no_bundle:
        name, data, _ = export.export_file(args.layer, fmt, frame, date=date)
    else:
        name, data, _ = export.export_bundle(args.layer, fmt, frame, filters, date=date, extra=extra, lang=tr.lang)
    out = out or safe_output(name, force=args.force)
    try:
        write_output(out, data, force=args.force)
    except OSError as error:
        print(tr.t("cli.cannot_write", path=out, error=error.strerror or error), file=sys.stderr)
        return 1
    wrote = "cli.wrote_file" if args.no_bundle else "cli.wrote_bundle"
    print(tr.t(wrote, rows=len(frame), layer=args.layer, format=fmt, path=out))  # the layer as --layer names it
    return 0


def _map(args: argparse.Namespace, tr: i18n.Translator) -> int:
    from urllib.parse import urlencode

    from geo import names, official
    from geo.view import View, view_to_params
    from layers import mapimage  # the CLI is the atlas's other front end: it draws what the app draws

    out = safe_output(args.out, force=args.force)
    fmt = output_format(out, args.format, {key: f".{key}" for key in mapimage.IMAGE_FORMATS})
    first, last = official.EXPORT_YEARS
    if not first <= args.export_year <= last:
        raise UsageError(f"--export-year {args.export_year}: INEGI's exports cover {first}-{last}")
    try:
        state = names.normalise_state(args.state) if args.state else None
    except names.UnknownStateError as error:
        raise UsageError(f"--state: {error}") from error
    records = _records(tr)
    if records is None:
        return 1
    filters = filters_from_args(args, records)
    bounds = year_bounds(records)
    view = View(years=filters.years, sectors=filters.sectors, known_years_only=filters.known_years_only,
                labels=filters.labels, metric=args.metric, state=state, year=args.export_year)  # fmt: skip
    params = view_to_params(view, View(years=bounds, year=last))
    link = args.link_base + (f"?{urlencode(params)}" if params else "")
    date = (args.date or datetime.date.today()).isoformat()
    data = mapimage.view_map(view, boundaries.load_states("web"), records, link=link, date=date, size=args.size,
                             fmt=fmt)  # fmt: skip
    try:
        write_output(out, data, force=args.force)
    except OSError as error:
        print(tr.t("cli.cannot_write", path=out, error=error.strerror or error), file=sys.stderr)
        return 1
    print(tr.t("cli.wrote_map", format=fmt, size=args.size, path=out))
    return 0


def _extra(path: str) -> upload.Upload:
    """The user's file read as the app reads an upload; UsageError for a file that cannot be used
    or any bad row (every message on stderr first)."""
    try:
        with open(path, "rb") as file:
            data = file.read(upload.MAX_BYTES + 1)  # one byte more is enough to say it is too large
    except OSError as error:
        raise UsageError(f"--extra {path}: cannot read it ({error.strerror or error})") from error
    try:
        got = upload.read_upload(path, data)
    except upload.UploadError as error:
        raise UsageError(f"--extra: {error}") from error
    for problem in got.problems:
        print(problem, file=sys.stderr)
    if got.problems:
        raise UsageError(f"--extra {path}: {len(got.problems)} of its {got.rows} rows cannot be used (listed above); "
                         "fix them (docs/your-data.md); nothing written")  # fmt: skip
    for notice in got.notices:
        print(f"atlas: --extra: {notice}", file=sys.stderr)
    return got


def _bundle_format(out: Path | None, fmt: str | None, extensions: Mapping[str, str]) -> str:
    """A bundle is a zip of a format that --format names; its name must not pass for a bare file's."""
    if fmt is None:
        raise UsageError("--format is needed for a bundle (or pass --no-bundle and a file name with its extension)")
    if out is not None and not out.name.casefold().endswith(".zip"):
        raise UsageError(f"--out {out.name}: a bundle is a .zip file; end it with .zip, or pass --no-bundle")
    bare = next((key for key, extension in extensions.items() if out and out.name.casefold().endswith(extension)), None)
    if bare is not None:
        raise UsageError(f"--out {out.name} looks like a bare {bare} file, not a bundle; pass --no-bundle or rename it")
    return fmt


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """While writing, SIGTERM and SIGHUP raise Stopped, so the temporary file is removed before the
    process exits; the previous handlers are restored afterwards. (Handlers can only be set from
    the main thread; elsewhere the default behaviour stays.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, _frame):
        raise Stopped(signum)

    previous = {signum: signal.signal(signum, stop) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if handler is not None:  # None: a handler set outside Python, which cannot be put back
                signal.signal(signum, handler)


if __name__ == "__main__":
    raise SystemExit(main())
