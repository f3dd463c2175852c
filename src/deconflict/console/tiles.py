"""The operator's tile file served to the console: a TileJSON description and the tiles.

Only a signed-in console (or a client with a live token) may read them: the
area a line's tile file covers tells where its parties work.
"""

from __future__ import annotations

import gzip
from hashlib import blake2b
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from deconflict.console.tile_files import TileFile, in_range
from deconflict.errors import NotFound
from deconflict.line.parties import Credential, Role
from deconflict.web.auth import requires

TILEJSON_PATH = "/console/tiles.json"
TILES_PATH = "/console/tiles"
# Tiles are private to the signed-in browser; an hour, then revalidated by their ETag.
CACHE_CONTROL = "private, max-age=3600"

router = APIRouter(include_in_schema=False)
Reader = Annotated[Credential, Depends(requires(Role.DUTY))]


def served_tiles(request: Request) -> TileFile:
    """The tile file this server was started with; NotFound (404) when it has none."""
    tiles: TileFile | None = request.app.state.console_tiles
    if tiles is None:
        raise NotFound("this server has no tile file (deconflict serve --tiles FILE)")
    return tiles


@router.get(TILEJSON_PATH)
def tilejson(request: Request, credential: Reader) -> dict[str, Any]:
    """TileJSON 3.0.0 for the tile file: its tiles' URL, zooms, bounds, format and credits."""
    tile_set = served_tiles(request).tile_set
    west, south, east, north = tile_set.bounds
    description: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": tile_set.name,
        "description": tile_set.description,
        "attribution": tile_set.attribution,
        "scheme": "xyz",
        "tiles": [str(request.base_url).rstrip("/") + TILES_PATH + "/{z}/{x}/{y}"],
        "format": tile_set.format,
        "minzoom": tile_set.min_zoom,
        "maxzoom": tile_set.max_zoom,
        "bounds": [west, south, east, north],
        "center": [(west + east) / 2, (south + north) / 2, tile_set.min_zoom],
    }
    if tile_set.vector:
        description["vector_layers"] = tile_set.vector_layers
    return description


@router.get(TILES_PATH + "/{z}/{x}/{y}")
def tile(request: Request, z: int, x: int, y: int, credential: Reader) -> Response:
    """One tile (XYZ: y from the north) as stored, with its ETag; 404 outside the file."""
    tiles = served_tiles(request)
    found = tiles.tile(z, x, y) if in_range(z, x, y) else None
    if found is None:
        raise NotFound(f"the tile file has no tile {z}/{x}/{y}", field="tile", value=f"{z}/{x}/{y}")
    data, encoding = found.data, found.encoding
    if encoding == "gzip" and "gzip" not in request.headers.get("accept-encoding", ""):
        data, encoding = gzip.decompress(data), None
    etag = '"' + blake2b(data, digest_size=12).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    return Response(data, media_type=tiles.tile_set.media_type, headers=headers)
