// The MGRS grid over the map, following the zoom: grid zone boundaries with their names, then
// the 100 km squares (zoom 6 to 8), the 10 km lines (9 to 11) and the 1 km lines (12 and closer),
// each labelled. Every grid position comes from the mgrs package: the squares in sight are found
// by naming sampled points, and each line is drawn through the positions its references name.

/* global L */

import { forward, toPoint } from "../vendor/mgrs/mgrs.esm.js";
import { wrapLon } from "./position.js";

const BANDS = "CDEFGHJKLMNPQRSTUVWX";
const SQUARE_M = 100_000;
const STEPS = 16; // a grid line is drawn through 17 positions across its square (chords within 0.5 m)
const REFERENCE = /^(\d{1,2})([C-X])([A-Z]{2})$/;

/** The spacing of the grid lines at `zoom`, in metres; null: only the grid zones. */
export function gridSpacing(zoom) {
  if (zoom < 6) return null;
  if (zoom < 9) return SQUARE_M;
  return zoom < 12 ? 10_000 : 1_000;
}

/** The grid zones and lines in `view` ({south, west, north, east}, degrees) at `zoom`.
 *  Each line: {kind: "zone" | "square" | "line", latlngs: [[lat, lon]…][], label?, at?}. */
export function gridLines(view, zoom) {
  const south = Math.max(view.south, -80);
  const north = Math.min(view.north, 84);
  const west = Math.max(view.west, -180);
  const east = Math.min(view.east, 180);
  if (south >= north || west >= east) return { lines: [], labels: [] };
  const clip = { south, north, west, east };
  const spacing = gridSpacing(zoom);
  const lines = [];
  const labels = [];
  for (const cell of zonesIn(clip)) {
    const inView = intersect(cell, clip);
    lines.push(...outline(cell, inView));
    if (!spacing) {
      labels.push({ kind: "zone", text: `${cell.zone}${cell.band}`, at: centre(inView) });
      continue;
    }
    for (const square of squaresIn(cell, inView)) {
      squareLines(square, cell, inView, spacing, lines, labels);
    }
  }
  return { lines, labels };
}

// Grid zones: 6° of longitude by a band of 8° of latitude (12° for X), with Norway's and
// Svalbard's exceptions as the standard draws them.
function zonesIn(view) {
  const cells = [];
  const first = Math.max(0, Math.floor((view.south + 80) / 8));
  const last = Math.min(BANDS.length - 1, Math.floor((view.north + 80) / 8));
  for (let b = first; b <= last; b++) {
    const band = BANDS[b];
    const south = -80 + 8 * b;
    const north = band === "X" ? 84 : south + 8;
    for (let zone = 1; zone <= 60; zone++) {
      const lon = zoneLongitudes(zone, band);
      if (!lon || lon[1] <= view.west || lon[0] >= view.east) continue;
      cells.push({ zone, band, south, north, west: lon[0], east: lon[1] });
    }
  }
  return cells;
}

function zoneLongitudes(zone, band) {
  if (band === "V" && zone === 31) return [0, 3];
  if (band === "V" && zone === 32) return [3, 12];
  if (band === "X") {
    if ([32, 34, 36].includes(zone)) return null;
    const svalbard = { 31: [0, 9], 33: [9, 21], 35: [21, 33], 37: [33, 42] }[zone];
    if (svalbard) return svalbard;
  }
  const west = (zone - 1) * 6 - 180;
  return [west, west + 6];
}

function outline(cell, inView) {
  return [
    { kind: "zone", latlngs: [[[cell.south, inView.west], [cell.south, inView.east]]] },
    { kind: "zone", latlngs: [[[inView.south, cell.west], [inView.north, cell.west]]] },
  ];
}

// The 100 km squares of `cell` in sight, named by mgrs at points sampled across the view.
function squaresIn(cell, inView) {
  const step = Math.min(0.25, (inView.north - inView.south) / 6, (inView.east - inView.west) / 6);
  const names = new Set();
  const prefix = `${cell.zone}${cell.band}`;
  for (let lat = inView.south + step / 2; lat < inView.north; lat += step) {
    for (let lon = inView.west + step / 2; lon < inView.east; lon += step) {
      const name = forward([lon, lat], 0);
      if (name.startsWith(prefix) && REFERENCE.test(name)) names.add(name);
    }
  }
  return names;
}

function squareLines(square, cell, inView, spacing, lines, labels) {
  const count = SQUARE_M / spacing;
  for (let k = 0; k < count; k++) {
    const value = k * spacing;
    const kind = value === 0 ? "square" : "line";
    const easting = clipped(along(square, value, "E"), cell);
    const northing = clipped(along(square, value, "N"), cell);
    for (const [latlngs, axis] of [[easting, "easting"], [northing, "northing"]]) {
      const seen = latlngs.flatMap((part) => clipped(part, inView));
      if (!seen.length) continue;
      lines.push({ kind, latlngs });
      if (spacing < SQUARE_M) labels.push({ kind: axis, text: km(value), at: seen[0][0] });
    }
  }
  const middle = position(`${square}5000050000`);
  const name = square.slice(-2);
  if (spacing === SQUARE_M && inside(middle, cell) && inside(middle, inView)) {
    labels.push({ kind: "square", text: name, at: middle });
  } else if (spacing < SQUARE_M) {
    const seen = visiblePart(square, cell, inView);
    if (seen) labels.push({ kind: "square", text: `${square.slice(0, -2)} ${name}`, at: seen });
  }
}

// The positions along one grid line of a square: easting `value` (kind "E") or northing `value`.
function along(square, value, kind) {
  const points = [];
  for (let i = 0; i <= STEPS; i++) {
    const other = Math.min(SQUARE_M - 1, Math.round((i * SQUARE_M) / STEPS));
    const [e, n] = kind === "E" ? [value, other] : [other, value];
    points.push(position(`${square}${digits(e)}${digits(n)}`));
  }
  return points;
}

function position(reference) {
  const [lon, lat] = toPoint(reference);
  return [lat, lon];
}

const digits = (metres) => String(metres).padStart(5, "0");
const km = (metres) => String(Math.round(metres / 1000) % 100).padStart(2, "0");

// The parts of a polyline within a cell (latitude and longitude bounds): a list of polylines.
function clipped(points, box) {
  const parts = [];
  let part = [];
  for (let i = 1; i < points.length; i++) {
    const segment = clipSegment(points[i - 1], points[i], box);
    if (!segment) {
      if (part.length) parts.push(part);
      part = [];
      continue;
    }
    if (!part.length) part.push(segment[0]);
    else if (!same(part[part.length - 1], segment[0])) {
      parts.push(part);
      part = [segment[0]];
    }
    part.push(segment[1]);
  }
  if (part.length) parts.push(part);
  return parts;
}

// Liang–Barsky on latitude and longitude.
function clipSegment([lat0, lon0], [lat1, lon1], box) {
  let t0 = 0;
  let t1 = 1;
  const dLat = lat1 - lat0;
  const dLon = lon1 - lon0;
  const edges = [[-dLon, lon0 - box.west], [dLon, box.east - lon0], [-dLat, lat0 - box.south], [dLat, box.north - lat0]];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return null;
      continue;
    }
    const r = q / p;
    if (p < 0) t0 = Math.max(t0, r);
    else t1 = Math.min(t1, r);
    if (t0 > t1) return null;
  }
  return [[lat0 + t0 * dLat, lon0 + t0 * dLon], [lat0 + t1 * dLat, lon0 + t1 * dLon]];
}

const same = (a, b) => Math.abs(a[0] - b[0]) < 1e-12 && Math.abs(a[1] - b[1]) < 1e-12;
const inside = ([lat, lon], box) => lat >= box.south && lat <= box.north && lon >= box.west && lon <= box.east;
const centre = (box) => [(box.south + box.north) / 2, (box.west + box.east) / 2];

function intersect(a, b) {
  return {
    south: Math.max(a.south, b.south), north: Math.min(a.north, b.north),
    west: Math.max(a.west, b.west), east: Math.min(a.east, b.east),
  };
}

// The middle of what can be seen of a square: its corners' box within its zone and the view.
function visiblePart(square, cell, inView) {
  const corners = ["0000000000", "9999900000", "0000099999", "9999999999"].map((d) => position(square + d));
  const box = intersect(intersect({
    south: Math.min(...corners.map((c) => c[0])), north: Math.max(...corners.map((c) => c[0])),
    west: Math.min(...corners.map((c) => c[1])), east: Math.max(...corners.map((c) => c[1])),
  }, cell), inView);
  return box.south < box.north && box.west < box.east ? centre(box) : null;
}

/** Keep the MGRS grid drawn over `map` as it moves and zooms, in a pane under the features. */
export function addGrid(map) {
  map.createPane("grid");
  map.getPane("grid").classList.add("grid-pane");
  const renderer = L.canvas({ pane: "grid", padding: 0.2 });
  const layer = L.layerGroup();
  const weights = { zone: 1.6, square: 1.1, line: 0.6 };
  const redraw = () => {
    layer.clearLayers();
    if (!map.hasLayer(layer)) return;
    Object.assign(map.getContainer().dataset, { zoom: map.getZoom(), grid: gridSpacing(map.getZoom()) ?? "zones" });
    const bounds = map.getBounds();
    const view = { south: bounds.getSouth(), north: bounds.getNorth(), west: wrapLon(bounds.getWest()), east: wrapLon(bounds.getWest()) + (bounds.getEast() - bounds.getWest()) };
    const { lines, labels } = gridLines(view, map.getZoom());
    for (const line of lines) {
      L.polyline(line.latlngs, { renderer, pane: "grid", interactive: false, className: `grid-${line.kind}`, color: "#d9c36a", opacity: line.kind === "line" ? 0.45 : 0.75, weight: weights[line.kind] }).addTo(layer);
    }
    for (const label of labels) {
      const icon = L.divIcon({ className: `grid-label grid-label-${label.kind}`, html: "", iconSize: null });
      const marker = L.marker(label.at, { icon, pane: "grid", interactive: false, keyboard: false });
      marker.on("add", () => { Object.assign(marker.getElement(), { textContent: label.text, translate: false }); });
      layer.addLayer(marker);
    }
  };
  map.on("moveend zoomend", redraw);
  layer.on("add", () => setTimeout(redraw, 0));
  return layer;
}
