"""The `atlas` command line.

    atlas export --layer states|clusters|projects --format geojson|csv|gpkg --out PATH
                 [--sector NAME]... [--years FROM-TO] [--known-years-only]

Exit codes: 0 written; 1 the seeds failed validation or the file could not be written (nothing is
written either way); 2 bad arguments (unknown sector, malformed or reversed year range, ...).
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from geo import boundaries, export, seeds
from geo.join import Filters
from geo.sectors import SECTORS, UnknownSectorError, resolve_sectors
from geo.view import YEAR_RANGE_FORMAT, parse_year_range


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse exits on bad arguments and --help; we return codes
        return int(exit_.code or 0)
    return _export(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="atlas", description="Mexico Cluster Atlas tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    command = commands.add_parser(
        "export",
        help="write a layer to a file",
        description="Write one layer, filtered like the map, to a GeoJSON, CSV or GeoPackage file.",
    )
    command.add_argument("--layer", required=True, choices=export.LAYERS)
    command.add_argument("--format", required=True, choices=export.FORMATS)
    command.add_argument("--out", required=True, type=Path, metavar="PATH")
    command.add_argument(
        "--sector",
        action="append",
        default=[],
        type=_sector,
        metavar="NAME",
        help=f"keep only this sector (repeatable; any letter case): {', '.join(SECTORS)}",
    )
    command.add_argument(
        "--years",
        type=_years,
        metavar="FROM-TO",
        help=f"keep records of these years, inclusive ({YEAR_RANGE_FORMAT}); unknown years stay",
    )
    command.add_argument("--known-years-only", action="store_true", help="drop records whose year is unknown")
    return parser


def _sector(name: str) -> str:
    try:
        return resolve_sectors([name])[0]
    except UnknownSectorError as error:  # argparse would swap a ValueError's message for its own
        raise argparse.ArgumentTypeError(str(error)) from error


def _years(text: str) -> tuple[int, int]:
    try:
        return parse_year_range(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"invalid year range {text!r}: {error}") from error


def _export(args: argparse.Namespace) -> int:
    try:
        records = seeds.load_records()
    except seeds.SeedError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"atlas: the seeds have {len(error.problems)} problem(s); nothing written.", file=sys.stderr)
        return 1
    # An export is for analysis rather than drawing, so it gets the full-resolution shapes.
    states = boundaries.load_states(resolution="full") if args.layer == "states" else None
    filters = Filters(
        sectors=tuple(dict.fromkeys(args.sector)),
        years=args.years,
        known_years_only=args.known_years_only,
    )
    frame = export.layer_frame(args.layer, states, records, filters)
    _, data, _ = export.export_file(args.layer, args.format, frame)
    try:
        export.write_atomic(args.out, data)
    except OSError as error:
        print(f"atlas: cannot write {args.out}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"Wrote {len(frame)} {args.layer} rows ({args.format}) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
