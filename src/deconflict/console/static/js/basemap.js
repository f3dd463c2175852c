// The offline world: Natural Earth land and borders shipped in the package; tiles only if configured.

import { addTileFile } from "./tiles.js";

/* global L, topojson */

const ATLAS = "/console/static/vendor/world-atlas/countries-50m.json";

/** The world map, under the server's tile file (session.tiles) or else the online tiles (tile_url). */
export async function addBasemap(map, session) {
  const tileUrl = session.tiles ? "" : session.tile_url;
  map.createPane("basemap");
  map.getPane("basemap").classList.add("basemap-pane");
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution("Natural Earth");
  map.attributionControl.getContainer().translate = false; // names of software and data
  const tileFile = session.tiles ? addTileFile(map, session.tiles) : null;
  if (tileUrl) {
    L.tileLayer(tileUrl, { maxZoom: 18, attribution: tileHost(tileUrl) }).addTo(map);
  }
  const renderer = L.canvas({ pane: "basemap", padding: 0.5 });
  const options = { pane: "basemap", renderer, interactive: false };
  addGraticule(map, options);
  const response = await fetch(ATLAS, { cache: "force-cache" });
  const atlas = await response.json();
  const land = topojson.feature(atlas, atlas.objects.land);
  const borders = topojson.mesh(atlas, atlas.objects.countries, (a, b) => a !== b);
  L.geoJSON(land, {
    ...options,
    style: { stroke: true, color: "#55697d", weight: 0.8, fill: !tileUrl && !session.tiles, fillColor: "#1d2a36", fillOpacity: 1 },
  }).addTo(map);
  L.geoJSON(borders, { ...options, style: { color: "#9aabbd", weight: 1, opacity: 0.9 } }).addTo(map);
  addCountryNames(map, topojson.feature(atlas, atlas.objects.countries));
  await tileFile;
}

function tileHost(url) {
  return url.replace(/^https?:\/\//, "").split("/")[0].replace("{s}.", "");
}

function addGraticule(map, options) {
  const lines = [];
  for (let lon = -180; lon <= 180; lon += 10) lines.push([[-85, lon], [85, lon]]);
  for (let lat = -80; lat <= 80; lat += 10) lines.push([[lat, -180], [lat, 180]]);
  L.polyline(lines, { ...options, color: "#23303d", weight: 1 }).addTo(map);
}

// Names at the middle of each country's largest ring, shown only at regional zooms.
function addCountryNames(map, countries) {
  const names = L.layerGroup();
  for (const country of countries.features) {
    const name = country.properties && country.properties.name;
    const ring = largestRing(country.geometry);
    if (!name || !ring || ringArea(ring) < 2) continue;
    const [lon, lat] = centroid(ring);
    const icon = L.divIcon({ className: "country-name", html: "", iconSize: null });
    const marker = L.marker([lat, lon], { icon, interactive: false, keyboard: false, pane: "basemap" });
    marker.on("add", () => { Object.assign(marker.getElement(), { textContent: name, translate: false }); });
    names.addLayer(marker);
  }
  const update = () => {
    const zoom = map.getZoom();
    if (zoom >= 4 && zoom <= 9) names.addTo(map);
    else names.remove();
  };
  map.on("zoomend", update);
  update();
}

function largestRing(geometry) {
  if (!geometry) return null;
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  let best = null;
  for (const polygon of polygons) {
    if (!best || ringArea(polygon[0]) > ringArea(best)) best = polygon[0];
  }
  return best;
}

function ringArea(ring) {
  let sum = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    sum += ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
  }
  return Math.abs(sum / 2);
}

function centroid(ring) {
  let x = 0, y = 0, area = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    area += cross;
    x += (ring[j][0] + ring[i][0]) * cross;
    y += (ring[j][1] + ring[i][1]) * cross;
  }
  return area === 0 ? ring[0] : [x / (3 * area), y / (3 * area)];
}
