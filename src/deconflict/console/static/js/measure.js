// Range and bearing: two clicks on the map, the geodesic between them drawn, its length and the
// initial bearing at the first point (degrees true), by geographiclib-geodesic on WGS84.

/* global L, geodesic */

import { h, loadScript } from "./dom.js";
import { distance, t } from "./i18n.js";
import { on } from "./state.js";

const GEODESIC = "/console/static/vendor/geographiclib-geodesic/geographiclib-geodesic.min.js";
const STEPS = 64;

/** A Measure button on `map`: on, each two clicks measure; off (or Escape), the line goes. */
export function addMeasure(map) {
  const layer = L.layerGroup().addTo(map);
  let active = false;
  let points = [];
  let result = null;
  const button = h("button", { type: "button", id: "measure", class: "measure-button", "aria-pressed": "false", "data-i18n": "measure.start", text: t("measure.start") });
  const readout = h("output", { id: "measure-result", class: "measure-result", "aria-live": "polite" });
  const control = L.control({ position: "topleft" });
  control.onAdd = () => {
    const box = h("div", { class: "leaflet-bar measure" }, button, readout);
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  control.addTo(map);

  const show = () => {
    readout.hidden = !active;
    if (!active) return;
    if (result) readout.textContent = `${distance(result.s12)} · ${bearing(result.azi1)} ${t("measure.true")}`;
    else readout.textContent = t(points.length ? "measure.second" : "measure.first");
  };
  const setActive = async (on) => {
    if (on) await loadScript(GEODESIC);
    active = on;
    points = [];
    result = null;
    layer.clearLayers();
    button.setAttribute("aria-pressed", String(on));
    map.getContainer().classList.toggle("measuring", on);
    delete readout.dataset.distanceM;
    show();
  };
  button.addEventListener("click", () => setActive(!active));
  map.getContainer().addEventListener("keydown", (e) => { if (e.key === "Escape" && active) setActive(false); });
  map.on("click", (e) => {
    if (!active) return;
    if (points.length === 2) {
      points = [];
      result = null;
      layer.clearLayers();
    }
    points.push(e.latlng);
    L.circleMarker(e.latlng, { radius: 4, color: "#f5f5f5", weight: 2, fill: true, fillOpacity: 1, interactive: false }).addTo(layer);
    if (points.length === 2) {
      result = measure(points[0], points[1]);
      L.polyline(result.path, { color: "#f5f5f5", weight: 2, dashArray: "6 4", interactive: false }).addTo(layer);
      Object.assign(readout.dataset, {
        distanceM: result.s12.toFixed(3), bearingDeg: result.azi1.toFixed(6),
        from: `${points[0].lat},${points[0].lng}`, to: `${points[1].lat},${points[1].lng}`,
      });
    }
    show();
  });
  on("language", show);
  show();
}

/** The geodesic from `a` to `b`: length s12 (m), initial bearing azi1 (0-360° true), its path. */
function measure(a, b) {
  const line = geodesic.Geodesic.WGS84.InverseLine(a.lat, a.lng, b.lat, b.lng);
  const path = [];
  for (let i = 0; i <= STEPS; i++) {
    const at = line.Position((line.s13 * i) / STEPS);
    path.push([at.lat2, a.lng + normalise(at.lon2 - a.lng)]);
  }
  return { s12: line.s13, azi1: (line.azi1 + 360) % 360, path };
}

const normalise = (deg) => ((((deg + 180) % 360) + 360) % 360) - 180;
const bearing = (deg) => `${(Math.round(deg * 10) / 10).toFixed(1).padStart(5, "0")}°`;
