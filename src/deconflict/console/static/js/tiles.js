// The operator's tile file, when the server has one (deconflict serve --tiles): raster tiles
// drawn as they are, vector tiles drawn in the browser in a plain style that reads on the dark map.

/* global L, protomapsL */

import { get } from "./api.js";
import { loadScript } from "./dom.js";

const PROTOMAPS = "/console/static/vendor/protomaps-leaflet/protomaps-leaflet.js";

/** Add the tiles the TileJSON at `path` describes to `map`, under the world map's borders. */
export async function addTileFile(map, path) {
  const tileJson = await get(path);
  const [west, south, east, north] = tileJson.bounds;
  const options = {
    bounds: L.latLngBounds([south, west], [north, east]),
    minZoom: tileJson.minzoom,
    attribution: tileJson.attribution || tileJson.name,
    className: "tile-file",
  };
  const layer = tileJson.format === "pbf"
    ? await vectorLayer(tileJson, options)
    : L.tileLayer(tileJson.tiles[0], { ...options, maxNativeZoom: tileJson.maxzoom, maxZoom: 18 });
  layer.addTo(map);
  return layer;
}

async function vectorLayer(tileJson, options) {
  await loadScript(PROTOMAPS);
  const layers = (tileJson.vector_layers || []).map((l) => l.id);
  return protomapsL.leafletLayer({
    ...options,
    sources: { "": { url: tileJson.tiles[0], maxDataZoom: tileJson.maxzoom, levelDiff: 0 } },
    paintRules: layers.flatMap(paintRules),
    labelRules: layers.map(labelRule),
  });
}

// The plain style: each layer coloured by what its name says it holds, and by its geometry.
export const VECTOR_STYLE = {
  water: "#1f4e6e",
  green: "#243a2e",
  land: "#1d2a36",
  building: "#34414f",
  road: "#a3adb8",
  rail: "#7d8894",
  boundary: "#b9c6d3",
  other: "#3a4756",
  line: "#7d8894",
  label: "#e3e9ef",
  halo: "#0b1218",
};
const KINDS = [
  [/water|ocean|river|lake|sea/, "water"],
  [/park|green|landcover|landuse|natural|wood|forest|site/, "green"],
  [/earth|^land$/, "land"],
  [/build/, "building"],
  [/road|street|transport|highway|aeroway/, "road"],
  [/rail|transit/, "rail"],
  [/bound|admin/, "boundary"],
];

export function kindOfLayer(name) {
  const found = KINDS.find(([pattern]) => pattern.test(name.toLowerCase()));
  return found ? found[1] : "other";
}

function paintRules(name) {
  const kind = kindOfLayer(name);
  const colour = VECTOR_STYLE[kind];
  const isPolygon = (z, f) => f.geomType === protomapsL.GeomType.Polygon;
  const isLine = (z, f) => f.geomType === protomapsL.GeomType.Line;
  const lineColour = kind === "other" ? VECTOR_STYLE.line : colour;
  const width = kind === "road" ? (z) => (z < 10 ? 0.6 : z < 14 ? 1.2 : 2.5) : 1;
  return [
    { dataLayer: name, filter: isPolygon, symbolizer: new protomapsL.PolygonSymbolizer({ fill: colour, opacity: 0.9 }) },
    {
      dataLayer: name, filter: isLine,
      symbolizer: new protomapsL.LineSymbolizer({ color: lineColour, width, dash: kind === "boundary" ? [4, 3] : undefined }),
    },
  ];
}

function labelRule(name) {
  return {
    dataLayer: name,
    symbolizer: new protomapsL.CenteredTextSymbolizer({
      labelProps: ["name:en", "name_en", "name:latin", "name"],
      fill: VECTOR_STYLE.label, stroke: VECTOR_STYLE.halo, width: 2,
      font: "12px sans-serif",
    }),
  };
}
