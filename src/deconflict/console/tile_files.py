"""Map tiles from a file the operator provides: MBTiles (SQLite) or PMTiles v3.

A line with no network still needs towns, roads and terrain at the zoom of a
notice; the operator brings them in one file and `deconflict serve --tiles`
hands them to the console. A file that cannot be served is refused when it is
opened, naming the file and what is wrong with it, so nothing starts half-configured.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import Compression, MagicNumberNotFound, SpecVersionUnsupported, TileType

from deconflict.settings import SettingsError

SQLITE_MAGIC = b"SQLite format 3\x00"
PMTILES_MAGIC = b"PMTiles"
GZIP_MAGIC = b"\x1f\x8b"
WORLD = (-180.0, -85.051129, 180.0, 85.051129)

# Format name (as MBTiles metadata and TileJSON spell it) -> media type.
MEDIA_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "pbf": "application/vnd.mapbox-vector-tile",
}
_PMTILES_FORMATS = {
    TileType.PNG: "png",
    TileType.JPEG: "jpg",
    TileType.WEBP: "webp",
    TileType.MVT: "pbf",
}
_PMTILES_ENCODINGS = {
    Compression.NONE: None,
    Compression.UNKNOWN: None,
    Compression.GZIP: "gzip",
    Compression.BROTLI: "br",
    Compression.ZSTD: "zstd",
}


@dataclass(frozen=True)
class TileSet:
    """What a tile file holds: its format, zooms, bounds (west, south, east, north, degrees)
    and the names and credits in its metadata. `vector_layers` only for vector tiles."""

    name: str
    format: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]
    attribution: str = ""
    description: str = ""
    vector_layers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def vector(self) -> bool:
        """True for vector tiles (Mapbox Vector Tile protobufs), False for images."""
        return self.format == "pbf"

    @property
    def media_type(self) -> str:
        """The Content-Type a tile of this set is served with."""
        return MEDIA_TYPES[self.format]


@dataclass(frozen=True)
class Tile:
    """One tile's bytes as stored, and the Content-Encoding they are stored in (None: plain)."""

    data: bytes
    encoding: str | None


class TileFile(Protocol):
    """A tile file opened for serving: its description and its tiles by z/x/y (XYZ scheme)."""

    tile_set: TileSet

    def tile(self, z: int, x: int, y: int) -> Tile | None:
        """The tile at z/x/y (y counted from the north), None where the file has none."""

    def close(self) -> None:
        """Release the file."""


def open_tile_file(path: Path) -> TileFile:
    """Open `path` as MBTiles or PMTiles, told apart by their first bytes.

    Raises SettingsError naming the file when it is missing, unreadable, of neither
    kind, of a tile format the console cannot draw, or holds no tiles.
    """
    try:
        with path.open("rb") as file:
            magic = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise _refused(path, error.strerror or str(error)) from None
    if magic.startswith(PMTILES_MAGIC):
        return PMTilesFile(path)
    if magic == SQLITE_MAGIC:
        return MBTilesFile(path)
    raise _refused(path, "neither an MBTiles (SQLite) nor a PMTiles file")


def in_range(z: int, x: int, y: int) -> bool:
    """True for a tile address that exists on the web map's grid (zoom 0 to 30)."""
    return 0 <= z <= 30 and 0 <= x < 2**z and 0 <= y < 2**z


def _refused(path: Path, why: str) -> SettingsError:
    return SettingsError(f"tiles (DECONFLICT_TILES): {path}: {why}")


class MBTilesFile:
    """An MBTiles file (SQLite), read only; its rows count y from the south (TMS)."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        uri = f"{path.resolve().as_uri()}?mode=ro"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            self.tile_set = self._describe(path)
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise _refused(path, f"not a readable MBTiles file ({error})") from None
        except SettingsError:
            self._db.close()
            raise

    def _describe(self, path: Path) -> TileSet:
        meta = dict(self._db.execute("SELECT name, value FROM metadata").fetchall())
        zooms = self._db.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
        if zooms[0] is None:
            raise _refused(path, "holds no tiles")
        fmt = str(meta.get("format") or self._sniffed_format()).lower()
        fmt = {"jpeg": "jpg", "mvt": "pbf"}.get(fmt, fmt)
        if fmt not in MEDIA_TYPES:
            raise _refused(path, f"tile format {fmt!r} is not one of {', '.join(MEDIA_TYPES)}")
        return TileSet(
            name=str(meta.get("name") or path.stem),
            format=fmt,
            min_zoom=_whole(meta.get("minzoom"), zooms[0]),
            max_zoom=_whole(meta.get("maxzoom"), zooms[1]),
            bounds=_bounds(meta.get("bounds")),
            attribution=str(meta.get("attribution") or ""),
            description=str(meta.get("description") or ""),
            vector_layers=_vector_layers(meta.get("json")) if fmt == "pbf" else [],
        )

    def _sniffed_format(self) -> str:
        row = self._db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
        data = bytes(row[0]) if row else b""
        if data.startswith(b"\x89PNG"):
            return "png"
        if data.startswith(b"\xff\xd8"):
            return "jpg"
        if data[8:12] == b"WEBP":
            return "webp"
        return "pbf"

    def tile(self, z: int, x: int, y: int) -> Tile | None:
        """The tile at z/x/y (XYZ), read from the row counted from the south."""
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ?"
                " AND tile_row = ?",
                (z, x, (1 << z) - 1 - y),
            ).fetchone()
        if row is None:
            return None
        data = bytes(row[0])
        # MBTiles stores vector tiles gzip-compressed; images as they are.
        return Tile(data, "gzip" if data.startswith(GZIP_MAGIC) else None)

    def close(self) -> None:
        """Close the SQLite connection."""
        self._db.close()


class PMTilesFile:
    """A PMTiles v3 file, memory-mapped and read through the `pmtiles` package's reader."""

    def __init__(self, path: Path) -> None:
        self._file: BinaryIO = path.open("rb")
        try:
            self._get_bytes: Callable[[int, int], bytes] = MmapSource(self._file)
            reader = Reader(self._get_bytes)
            self.tile_set, self._encoding = self._describe(path, reader)
        except (
            MagicNumberNotFound,
            SpecVersionUnsupported,
            ValueError,
            IndexError,
            OSError,
        ) as error:
            self._file.close()
            raise _refused(path, f"not a readable PMTiles v3 file ({error!r})") from None
        except SettingsError:
            self._file.close()
            raise
        self._reader = reader

    @staticmethod
    def _describe(path: Path, reader: Reader) -> tuple[TileSet, str | None]:
        header = reader.header()
        fmt = _PMTILES_FORMATS.get(header["tile_type"])
        if fmt is None:
            raise _refused(path, f"tile type {header['tile_type'].name} cannot be drawn")
        if header["addressed_tiles_count"] == 0:
            raise _refused(path, "holds no tiles")
        meta = reader.metadata()
        bounds = tuple(
            header[k] / 1e7 for k in ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7")
        )
        tile_set = TileSet(
            name=str(meta.get("name") or path.stem),
            format=fmt,
            min_zoom=header["min_zoom"],
            max_zoom=header["max_zoom"],
            bounds=bounds if bounds[0] < bounds[2] and bounds[1] < bounds[3] else WORLD,
            attribution=str(meta.get("attribution") or ""),
            description=str(meta.get("description") or ""),
            vector_layers=list(meta.get("vector_layers") or []) if fmt == "pbf" else [],
        )
        return tile_set, _PMTILES_ENCODINGS[header["tile_compression"]]

    def tile(self, z: int, x: int, y: int) -> Tile | None:
        """The tile at z/x/y (XYZ), as the file stores it."""
        data = self._reader.get(z, x, y)
        return None if data is None else Tile(bytes(data), self._encoding)

    def close(self) -> None:
        """Close the file (the mapping goes with the reader)."""
        self._file.close()


def _whole(value: Any, otherwise: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return otherwise


def _bounds(value: Any) -> tuple[float, float, float, float]:
    """MBTiles `bounds` metadata ("west,south,east,north"); the whole web map if unreadable."""
    try:
        west, south, east, north = (float(v) for v in str(value).split(","))
    except ValueError:
        return WORLD
    return (west, south, east, north)


def _vector_layers(value: Any) -> list[dict[str, Any]]:
    """The `vector_layers` of MBTiles' `json` metadata: each layer's id and its fields."""
    try:
        layers = json.loads(value or "{}").get("vector_layers") or []
    except (ValueError, AttributeError):
        return []
    return [layer for layer in layers if isinstance(layer, dict) and "id" in layer]
