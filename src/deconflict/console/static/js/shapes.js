// GeoJSON shapes of the line as Leaflet layers: circles as true circles (radius in metres),
// corridors as the band half_width_m either side of their centre line, and sectors, orbits and
// tracks as the outline the server draws for them (the `outline` property).
// The drawing is for the eye; the server decides conflicts with geodesic distances.

/* global L */

const EARTH_RADIUS_M = 6371008.8;
const STEP_RAD = Math.PI / 18; // 10° per arc step at round joins and caps

export const latLng = ([lon, lat]) => [lat, lon];

/** The layers that draw a feature's shape; the first is its outline (the one overlaps clip to). */
export function shapeLayers(feature, style) {
  const geometry = feature.geometry;
  const p = feature.properties;
  if (p.outline) return airspaceLayers(feature, style);
  switch (geometry.type) {
    case "Point":
      if (p.radius_m > 0) return [L.circle(latLng(geometry.coordinates), { ...style, radius: p.radius_m })];
      return [L.circleMarker(latLng(geometry.coordinates), { ...style, radius: 7 })];
    case "LineString":
      if (p.half_width_m > 0) {
        return [
          L.polygon(corridorRing(geometry.coordinates, p.half_width_m), { ...style, fillRule: "nonzero" }),
          L.polyline(geometry.coordinates.map(latLng), { ...style, weight: 1, fill: false, dashArray: "2 4", interactive: false }),
        ];
      }
      return [L.polyline(geometry.coordinates.map(latLng), { ...style, fill: false, weight: 4 })];
    case "Polygon":
    case "MultiPolygon":
      return [L.polygon(polygonLatLngs(geometry), style)];
    default:
      return [];
  }
}

/** The kind of shape a feature has, as the notify form names it. */
export function shapeName(feature) {
  const p = feature.properties;
  for (const airspace of ["sector", "orbit", "track"]) if (p[airspace]) return airspace;
  const type = feature.geometry.type;
  if (type === "Point") return "circle";
  if (type === "LineString") return "corridor";
  return "polygon";
}

const polygonLatLngs = (geometry) => geometry.type === "MultiPolygon"
  ? geometry.coordinates.map((polygon) => polygon.map((ring) => ring.map(latLng)))
  : geometry.coordinates.map((ring) => ring.map(latLng));

// A sector, orbit or track: the server's outline, then a thin guide at its origin or along its path.
function airspaceLayers(feature, style) {
  const geometry = feature.geometry;
  const guide = { ...style, weight: 1, fill: false, dashArray: "2 4", interactive: false };
  const path = geometry.type === "Point"
    ? L.circleMarker(latLng(geometry.coordinates), { ...guide, radius: 3, dashArray: null })
    : L.polyline(geometry.coordinates.map(latLng), guide);
  return [L.polygon(polygonLatLngs(feature.properties.outline), style), path];
}

/** The outline of the safety buffer around a circle or corridor (null when there is none). */
export function bufferLayer(feature, style) {
  const p = feature.properties;
  const buffer = p.buffer_m || 0;
  if (buffer <= 0 || p.outline) return null;
  const dashed = { ...style, fill: false, weight: 1, dashArray: "4 6", interactive: false };
  const geometry = feature.geometry;
  if (geometry.type === "Point") return L.circle(latLng(geometry.coordinates), { ...dashed, radius: (p.radius_m || 0) + buffer });
  if (geometry.type === "LineString") return L.polygon(corridorRing(geometry.coordinates, (p.half_width_m || 0) + buffer), { ...dashed, fillRule: "nonzero" });
  return null;
}

/**
 * The ring of a corridor: the left side out with round joins, a round cap, the other side back.
 * Worked in a plane tangent at the first point (good for corridors of tens of kilometres).
 */
export function corridorRing(coordinates, halfWidthM) {
  const plane = tangentPlane(coordinates);
  const points = dedupe(plane.points);
  if (points.length === 1) return circleRing(points[0], halfWidthM).map(plane.unproject);
  const ring = [...side(points, halfWidthM), ...side(points.slice().reverse(), halfWidthM)];
  return ring.map(plane.unproject);
}

function tangentPlane(coordinates) {
  const [lon0, lat0] = coordinates[0];
  const ky = (EARTH_RADIUS_M * Math.PI) / 180;
  const kx = ky * Math.cos((lat0 * Math.PI) / 180);
  let previous = lon0;
  const points = coordinates.map(([lon, lat]) => {
    let unwrapped = lon; // across the antimeridian, keep going the short way
    while (unwrapped - previous > 180) unwrapped -= 360;
    while (unwrapped - previous < -180) unwrapped += 360;
    previous = unwrapped;
    return [(unwrapped - lon0) * kx, (lat - lat0) * ky];
  });
  return { points, unproject: ([x, y]) => [lat0 + y / ky, lon0 + x / kx] };
}

function dedupe(points) {
  return points.filter((p, i) => i === 0 || p[0] !== points[i - 1][0] || p[1] !== points[i - 1][1]);
}

// One side of the band, left of the direction of travel, ending with the round cap at the far end.
function side(points, r) {
  const out = [];
  for (let i = 0; i < points.length - 1; i++) {
    const a = heading(points[i], points[i + 1]);
    if (i > 0) {
      const before = heading(points[i - 1], points[i]);
      const turn = normalise(a - before);
      if (turn < 0) out.push(...arc(points[i], before + Math.PI / 2, a + Math.PI / 2, r));
      else out.push(...innerCorner(points[i], before + Math.PI / 2, a + Math.PI / 2, r));
    } else {
      out.push(offset(points[i], a + Math.PI / 2, r));
    }
  }
  const last = points.length - 1;
  const final = heading(points[last - 1], points[last]);
  out.push(...arc(points[last], final + Math.PI / 2, final - Math.PI / 2, r));
  return out;
}

// The inside of a turn: where the two offset edges cross (a miter), or both ends if the turn is
// so sharp that the miter would shoot far out.
function innerCorner(p, n1, n2, r) {
  const cosine = Math.cos(n2 - n1);
  if (1 + cosine < 0.2) return [offset(p, n1, r), offset(p, n2, r)];
  const scale = r / (1 + cosine);
  return [[p[0] + scale * (Math.cos(n1) + Math.cos(n2)), p[1] + scale * (Math.sin(n1) + Math.sin(n2))]];
}

const heading = (from, to) => Math.atan2(to[1] - from[1], to[0] - from[0]);
const offset = (p, angle, r) => [p[0] + r * Math.cos(angle), p[1] + r * Math.sin(angle)];

function normalise(angle) {
  while (angle > Math.PI) angle -= 2 * Math.PI;
  while (angle <= -Math.PI) angle += 2 * Math.PI;
  return angle;
}

// Clockwise from `from` to `to` (the outer side of a right turn, or a cap).
function arc(centre, from, to, r) {
  let sweep = to - from;
  while (sweep > 0) sweep -= 2 * Math.PI;
  while (sweep <= -2 * Math.PI) sweep += 2 * Math.PI;
  const steps = Math.max(1, Math.ceil(-sweep / STEP_RAD));
  const out = [];
  for (let k = 0; k <= steps; k++) out.push(offset(centre, from + (sweep * k) / steps, r));
  return out;
}

function circleRing(centre, r) {
  return arc(centre, Math.PI / 2, Math.PI / 2 - 2 * Math.PI + 1e-9, r);
}

/** [lat, lon] bounds of a feature, for zooming to it. */
export function featureBounds(feature) {
  const group = L.featureGroup(shapeLayers(feature, {}));
  const layers = group.getLayers();
  if (layers.length === 1 && layers[0] instanceof L.Circle) {
    // A circle not on a map has no bounds of its own; work them out from its radius.
    const centre = layers[0].getLatLng();
    const r = layers[0].getRadius();
    const dLat = (r / EARTH_RADIUS_M) * (180 / Math.PI);
    const dLon = dLat / Math.max(0.01, Math.cos((centre.lat * Math.PI) / 180));
    return L.latLngBounds([centre.lat - dLat, centre.lng - dLon], [centre.lat + dLat, centre.lng + dLon]);
  }
  if (layers.length === 1 && layers[0] instanceof L.CircleMarker) {
    const c = layers[0].getLatLng();
    return L.latLngBounds([c.lat - 0.05, c.lng - 0.05], [c.lat + 0.05, c.lng + 0.05]);
  }
  return group.getBounds();
}
