"""Small map tile files made by the tests: MBTiles (raster and vector) and PMTiles.

The PNG tiles are one colour each and the vector tiles one square polygon, written
here byte by byte (PNG chunks, the Mapbox Vector Tile protobuf) so the tests need
no imaging or protobuf library; PMTiles through the `pmtiles` package's writer.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import sqlite3
import struct
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

TileKey = tuple[int, int, int]
AT_TANF_BOUNDS = "36,31,41,36"  # west, south, east, north (degrees) of the files made here


def png(rgb: tuple[int, int, int], size: int = 256) -> bytes:
    """A `size` x `size` PNG of one colour."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\x00" + bytes(rgb) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )


def vector_tile(layer: str = "water", extent: int = 4096, margin: int = 256) -> bytes:
    """A Mapbox Vector Tile with one layer of one square polygon, `margin` in from the edges."""
    low, high = margin, extent - margin
    ring = [(low, low), (high, low), (high, high), (low, high)]
    geometry = [_command(1, 1), *_zigzag(ring[0])]
    geometry.append(_command(2, 3))
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        geometry += _zigzag((x1 - x0, y1 - y0))
    geometry.append(_command(7, 1))
    feature = _field(1, 0, 1) + _field(3, 0, 3) + _field(4, 2, b"".join(map(_varint, geometry)))
    body = (
        _field(15, 0, 2)
        + _field(1, 2, layer.encode())
        + _field(2, 2, feature)
        + _field(5, 0, extent)
    )
    return _field(3, 2, body)


def tiles_around(lat_deg: float, lon_deg: float, zoom: int, reach: int = 2) -> list[TileKey]:
    """The XYZ tiles at `zoom` within `reach` tiles of the one holding the point."""
    n = 2**zoom
    x = int((lon_deg + 180) / 360 * n)
    lat = math.radians(lat_deg)
    y = int((1 - math.asinh(math.tan(lat)) / math.pi) / 2 * n)
    return [
        (zoom, i, j)
        for i in range(x - reach, x + reach + 1)
        for j in range(y - reach, y + reach + 1)
        if 0 <= i < n and 0 <= j < n
    ]


def write_mbtiles(
    path: Path, tiles: Mapping[TileKey, bytes], fmt: str, metadata: Mapping[str, str] = {}
) -> Path:
    """An MBTiles file of `tiles` (XYZ keys, stored as TMS rows) in format `fmt`."""
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
            " tile_data BLOB)"
        )
        zooms = [z for z, _, _ in tiles]
        meta = {
            "name": path.stem,
            "format": fmt,
            "minzoom": str(min(zooms)),
            "maxzoom": str(max(zooms)),
            **metadata,
        }
        db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()],
        )
    db.close()
    return path


def write_pmtiles(
    path: Path,
    tiles: Mapping[TileKey, bytes],
    tile_type: TileType,
    compression: Compression = Compression.NONE,
    metadata: Mapping[str, object] = {},
    bounds: tuple[float, float, float, float] = (-180, -85, 180, 85),
) -> Path:
    """A PMTiles v3 file of `tiles` (stored already compressed by `compression`)."""
    with path.open("wb") as file:
        writer = Writer(file)
        for tile_id, data in sorted((zxy_to_tileid(*key), data) for key, data in tiles.items()):
            writer.write_tile(tile_id, data)
        west, south, east, north = bounds
        header = {
            "tile_type": tile_type,
            "tile_compression": compression,
            "min_lon_e7": int(west * 1e7),
            "min_lat_e7": int(south * 1e7),
            "max_lon_e7": int(east * 1e7),
            "max_lat_e7": int(north * 1e7),
        }
        writer.finalize(header, dict(metadata))
    return path


def raster_mbtiles(path: Path, keys: Iterable[TileKey], rgb: tuple[int, int, int]) -> Path:
    """An MBTiles file of one-colour PNG tiles at `keys`, credited to "Test survey"."""
    tile = png(rgb)
    return write_mbtiles(
        path,
        dict.fromkeys(keys, tile),
        "png",
        {"attribution": "Test survey", "bounds": AT_TANF_BOUNDS},
    )


def vector_mbtiles(path: Path, keys: Iterable[TileKey], layer: str = "water") -> Path:
    """An MBTiles file of gzip-compressed vector tiles (one square of `layer` in each)."""
    tile = gzip.compress(vector_tile(layer), mtime=0)
    layers = {"vector_layers": [{"id": layer, "fields": {}}]}
    return write_mbtiles(
        path,
        dict.fromkeys(keys, tile),
        "pbf",
        {"json": json.dumps(layers), "attribution": "Test survey", "bounds": AT_TANF_BOUNDS},
    )


def _command(command: int, count: int) -> int:
    return (command & 7) | (count << 3)


def _zigzag(point: tuple[int, int]) -> list[int]:
    return [(v << 1) ^ (v >> 31) for v in point]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, wire: int, value: int | bytes) -> bytes:
    key = _varint((number << 3) | wire)
    if isinstance(value, int):
        return key + _varint(value)
    return key + _varint(len(value)) + value
