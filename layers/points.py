"""Binary columns of a large marker table (more than `layers.markers.LARGE_POINTS` points).

JSON for 1,000,000 points would be ~67 MB that the browser must parse on its main thread. Above
the threshold the table is shipped as two little-endian binary files that the points worker
(`layers/static/atlas-points-worker.js`) reads as typed arrays, without parsing:

- points: `lon` and `lat` as float32 (~1 m, plenty for a map point), `approx` as uint8 (1 = the
  state's representative point), then one code column per popup part, each in the smallest
  unsigned type that holds its codes; every column starts at a multiple of 4 bytes. `layout`
  gives each column's [dtype, byte offset] (the worker reads it from the table's JSON).
- names: the count n and n + 1 byte offsets as uint32, then the escaped names as UTF-8; name i
  is bytes offsets[i]..offsets[i+1] of the text. Fetched only when a popup is first asked for.
"""

from __future__ import annotations

import numpy as np

_ALIGN = 4


def encode_points(lon, lat, approx, codes: list) -> tuple[bytes, dict]:
    """The points file and its layout ({"lon": [dtype, offset], ..., "codes": [[dtype, offset], ...]})."""
    columns = [
        ("lon", np.asarray(lon, dtype="<f4")),
        ("lat", np.asarray(lat, dtype="<f4")),
        ("approx", np.asarray(approx, dtype="u1")),
    ]
    columns += [(None, _smallest(np.asarray(c, dtype=np.int64))) for c in codes]
    n = len(columns[0][1])
    if any(len(values) != n for _, values in columns):
        raise ValueError("Every binary column of a marker table needs one value per point.")
    chunks, layout, offset = [], {"codes": []}, 0
    for name, values in columns:
        entry = [values.dtype.name, offset]
        if name is None:
            layout["codes"].append(entry)
        else:
            layout[name] = entry
        data = values.tobytes()
        pad = -len(data) % _ALIGN
        chunks.append(data + b"\0" * pad)
        offset += len(data) + pad
    layout["rows"] = n
    return b"".join(chunks), layout


def decode_points(data: bytes, layout: dict) -> dict:
    """The columns of a points file, as numpy arrays ("codes": a list, one array per part)."""
    n = layout["rows"]

    def column(entry):
        dtype, offset = entry
        return np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<"), count=n, offset=offset)

    decoded = {name: column(layout[name]) for name in ("lon", "lat", "approx")}
    decoded["codes"] = [column(entry) for entry in layout["codes"]]
    return decoded


def encode_names(names: list[str]) -> bytes:
    """The names file: the count n, n + 1 offsets, then the UTF-8 text of every name."""
    encoded = [name.encode("utf-8") for name in names]
    sizes = np.array([len(e) for e in encoded], dtype=np.int64)
    if sizes.sum() >= 2**32:
        raise ValueError("The marker names exceed 4 GiB; the names file cannot hold them.")
    offsets = np.zeros(len(encoded) + 2, dtype="<u4")
    offsets[0] = len(encoded)
    np.cumsum(sizes, out=offsets[2:])
    return offsets.tobytes() + b"".join(encoded)


def decode_names(data: bytes) -> list[str]:
    """The names of a names file, in row order."""
    n = int(np.frombuffer(data, dtype="<u4", count=1)[0])
    offsets = np.frombuffer(data, dtype="<u4", count=n + 1, offset=4)
    text = data[4 * (n + 2) :]
    return [text[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def _smallest(codes: np.ndarray) -> np.ndarray:
    top = int(codes.max()) if codes.size else 0
    for dtype in ("u1", "<u2", "<u4"):
        if top <= np.iinfo(np.dtype(dtype)).max:
            return codes.astype(dtype)
    raise ValueError("More than 2**32 distinct popup parts in a marker table.")
