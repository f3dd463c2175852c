// Drawing a shape on the map with the mouse: a circle (centre, then a point on its edge),
// a corridor or a polygon (click each point; double-click, Enter or the first point to finish),
// an orbit (its two ends). Escape cancels. The result goes into the typed fields, which stay
// the one source of truth.

/* global L */

import { t } from "./i18n.js";
import { svgRenderer, theMap } from "./map.js";

let session = null;

/** Start drawing `kind` (circle, corridor, polygon, orbit); `done(result)` gets {centre, radius_m}
 * or {points}; null if cancelled. */
export function startDrawing(kind, done, hint) {
  stopDrawing();
  const map = theMap();
  const layer = L.layerGroup().addTo(map);
  const style = { renderer: svgRenderer(), color: "#ffd23f", weight: 2, dashArray: "4 4", fillOpacity: 0.08, interactive: false };
  const points = [];
  const container = map.getContainer();
  container.classList.add("drawing");
  map.doubleClickZoom.disable();
  hint(t(`draw.${kind}.start`));

  const redraw = (cursor) => {
    layer.clearLayers();
    if (kind === "circle") {
      if (points.length && cursor) L.circle(points[0], { ...style, radius: map.distance(points[0], cursor) }).addTo(layer);
      return;
    }
    const line = cursor ? [...points, cursor] : points;
    if (line.length < 2) return;
    (kind === "polygon" ? L.polygon(line, style) : L.polyline(line, style)).addTo(layer);
    for (const p of points) L.circleMarker(p, { ...style, radius: 4, dashArray: null }).addTo(layer);
  };

  const finish = (result) => {
    stopDrawing();
    done(result);
  };

  const click = (e) => {
    if (kind === "circle") {
      if (!points.length) {
        points.push(e.latlng);
        hint(t("draw.circle.edge"));
      } else {
        finish({ centre: points[0], radius_m: Math.round(map.distance(points[0], e.latlng)) });
      }
      return;
    }
    const last = points[points.length - 1];
    if (last && map.latLngToContainerPoint(last).distanceTo(e.containerPoint) < 4) return; // a double-click's clicks
    const first = points[0];
    if (kind === "polygon" && points.length >= 3 && map.latLngToContainerPoint(first).distanceTo(e.containerPoint) < 8) {
      complete();
      return;
    }
    points.push(e.latlng);
    if (kind === "orbit" && points.length === 2) {
      complete();
      return;
    }
    hint(t(`draw.${kind}.more`, { n: points.length }));
    redraw(null);
  };

  const complete = () => {
    const needed = kind === "polygon" ? 3 : 2;
    if (kind !== "circle" && points.length >= needed) finish({ points: points.slice() });
  };

  const key = (e) => {
    if (e.key === "Escape") finish(null);
    if (e.key === "Enter") complete();
  };

  const move = (e) => redraw(e.latlng);
  map.on("click", click);
  map.on("mousemove", move);
  map.on("dblclick", complete);
  document.addEventListener("keydown", key);
  session = () => {
    map.off("click", click);
    map.off("mousemove", move);
    map.off("dblclick", complete);
    document.removeEventListener("keydown", key);
    map.removeLayer(layer);
    container.classList.remove("drawing");
    map.doubleClickZoom.enable();
    hint("");
  };
}

export function stopDrawing() {
  if (session) {
    const end = session;
    session = null;
    end();
  }
}

/** A map position as people type it: latitude, longitude in decimal degrees (about 1 m). */
export const typed = (latlng) => `${latlng.lat.toFixed(5)}, ${wrap(latlng.lng).toFixed(5)}`;

const wrap = (lon) => ((((lon + 180) % 360) + 360) % 360) - 180;
