"""How long a user's own file takes at the upload limit: reading and checking it (geo.upload),
its marker table, and the JSON its layer sends with every run (layers.markers.upload_markers).

    uv run python -m bench.upload [ROWS]      # default: geo.upload.MAX_ROWS

Half the rows are city points near Monterrey, half state-level rows (Jalisco); all are good rows.
"""

from __future__ import annotations

import random
import sys
import time

from geo import upload
from layers import markers
from layers.runtime import safe_json


def sample_csv(rows: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    lines = ["name,kind,sector,state,lon,lat"]
    for i in range(rows):
        if i % 2:
            lines.append(f"P{i},project,ICT,Jalisco,,")
        else:
            lon, lat = -100.3 + rng.uniform(-0.05, 0.05), 25.67 + rng.uniform(-0.05, 0.05)
            lines.append(f"C{i},cluster,Automotive,Nuevo León,{lon:.5f},{lat:.5f}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def main(rows: int) -> None:
    data = sample_csv(rows)
    upload.read_upload("warm.csv", sample_csv(10))  # boundaries and tables loaded once, as in the app
    start = time.perf_counter()
    got = upload.read_upload("bench.csv", data)
    read = time.perf_counter()
    table = markers.marker_table(got.records)
    built = time.perf_counter()
    payload = safe_json({**table.data, "key": got.digest})
    sent = time.perf_counter()
    print(f"{rows:,} rows, {len(data) / 2**20:.1f} MB of CSV: read and checked {read - start:.1f} s, "
          f"marker table {built - read:.1f} s, layer JSON {sent - built:.2f} s and {len(payload) / 2**20:.1f} MB "
          "per run")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else upload.MAX_ROWS)
