// The map: every feature the party may see, in party colours (activities hatched),
// conflicts in red with the overlap filled, and features outside the chosen time dimmed
// (a repeating one between its occurrences too). The map is one Tab stop; its features are
// reached from a list beside it, not one Tab each, or found by id or name. A party's features or
// a kind of them may be hidden (layers.js): they leave the map and its list, nothing else.

/* global L */

import { h, rove } from "./dom.js";
import { addGrid } from "./grid.js";
import { distance, t } from "./i18n.js";
import { addLayers, isShown, renderLayers, showLayersOf } from "./layers.js";
import { bandText } from "./levels.js";
import { addMeasure } from "./measure.js";
import { decimalText, dmsText, mgrsText } from "./position.js";
import { nearestOccurrence, occurrenceAt, scheduleText } from "./schedule.js";
import { addSearch } from "./search.js";
import { bufferLayer, featureBounds, shapeLayers, shapeName } from "./shapes.js";
import { CONFLICT_COLOUR, canPlan, emit, featureKey, keyOf, on, partyColour, partyIndex, partyName, serverNow, state } from "./state.js";
import { parseTime, span } from "./time.js";

const SVG = "http://www.w3.org/2000/svg";

let map;
let renderer;
let featureLayer;
let overlapLayer;
let draftLayer;
let probeLayer;
let index;
const drawn = new Map(); // feature id -> {feature, layers, key}
let given = { features: [], conflicts: [] }; // the last showFeatures, hidden layers included
let selectedTime = new Date();
let nextKey = 0;

export function createMap(element) {
  map = L.map(element, { minZoom: 2, maxZoom: 18, zoomSnap: 0.5, worldCopyJump: true });
  renderer = L.svg({ padding: 0.5 });
  map.setView([33.5, 38.6], 5);
  const scale = L.control.scale({ imperial: false, position: "bottomright" });
  // Leaflet writes "m" and "km" in any language; the console writes its own units.
  scale._updateMetric = function (maxMetres) {
    const metres = this._getRoundNum(maxMetres);
    this._updateScale(this._mScale, distance(metres), metres / maxMetres);
  };
  scale.addTo(map);
  addGrid(map).addTo(map);
  addMeasure(map);
  sayControls();
  on("language", () => { sayControls(); scale._update(); });
  map.on("popupopen", (e) => e.popup.getElement()?.querySelector(".leaflet-popup-close-button")?.setAttribute("aria-label", t("toast.close")));
  featureLayer = L.layerGroup().addTo(map);
  overlapLayer = L.layerGroup().addTo(map);
  draftLayer = L.layerGroup().addTo(map);
  probeLayer = L.layerGroup().addTo(map);
  addLayers(map);
  on("layers", () => showFeatures(given.features, given.conflicts));
  addSearch(map, openCard);
  index = L.control({ position: "topright" });
  index.onAdd = featureIndex;
  index.addTo(map);
  const cursor = document.getElementById("cursor");
  map.on("mousemove", (e) => { cursor.textContent = cursorText(e.latlng); });
  map.on("mouseout", () => { cursor.textContent = ""; });
  map.on("resize", fitPending);
  return map;
}

// The pointer's position in MGRS, DMS and decimal degrees, one to a line.
function cursorText({ lat, lng }) {
  return [mgrsText(lat, lng), dmsText(lat, lng), decimalText(lat, lng)].filter(Boolean).join("\n");
}

export const theMap = () => map;
export const svgRenderer = () => renderer;

/**
 * Draw `features` but those of hidden layers; `conflicts` are [mine, theirs-or-null] key pairs
 * found by the server. A feature arriving later for a hidden layer stays hidden.
 */
export function showFeatures(features, conflicts) {
  given = { features, conflicts };
  featureLayer.clearLayers();
  overlapLayer.clearLayers();
  drawn.clear();
  clearDefs("clipPath");
  const red = new Set(conflicts.flatMap(([a, b]) => (b ? [a, b] : [a])));
  const ordered = features.filter(isShown).sort((a, b) => kindRank(a) - kindRank(b));
  for (const feature of ordered) {
    const layers = drawFeature(feature, red.has(keyOf(feature)), featureLayer);
    drawn.set(keyOf(feature), { feature, layers, key: layers.key });
  }
  for (const [mine, theirs] of conflicts) {
    if (theirs && drawn.has(mine) && drawn.has(theirs)) {
      overlap(drawn.get(mine).feature, drawn.get(theirs).key, overlapLayer);
    }
  }
  applyTime(selectedTime);
  renderLegend();
}

// Zones under activities, so an activity inside a zone stays clickable.
const kindRank = (feature) => (feature.properties.kind === "zone" ? 0 : 1);

function drawFeature(feature, conflicting, layer, extraClass = "") {
  const p = feature.properties;
  const style = styleOf(feature, conflicting, extraClass);
  const key = `k${nextKey++}`;
  const layers = shapeLayers(feature, style);
  const buffer = bufferLayer(feature, style);
  if (buffer) layers.push(buffer);
  if (conflicting && p.kind === "activity") layers.push(conflictRing(feature));
  const group = L.featureGroup(layers);
  group.bindTooltip(() => h("span", {}, labelled(feature)), { sticky: true, direction: "top" });
  group.bindPopup(() => popup(feature), { maxWidth: 320 });
  group.addTo(layer);
  outOfTabOrder(layers);
  layers.group = group;
  const outline = layers[0].getElement();
  if (outline) {
    outline.id = `shape-${key}`;
    outline.dataset.feature = feature.id;
    outline.dataset.party = p.party;
    outline.dataset.kind = p.kind;
    outline.dataset.shape = shapeName(feature);
    if (conflicting) outline.dataset.conflict = "true";
  }
  layers.key = key;
  return layers;
}

// A tooltip listens for focus on its shapes, which makes Chromium put each one in the Tab order;
// the map is one stop and its features are reached from the list instead.
function outOfTabOrder(layers) {
  for (const layer of layers) layer.getElement()?.setAttribute("tabindex", "-1");
}

function styleOf(feature, conflicting, extraClass) {
  const p = feature.properties;
  const colour = partyColour(p.party);
  const base = { renderer, weight: 2, opacity: 0.95, className: `shape ${p.kind} ${extraClass}`.trim() };
  const style = p.kind === "zone"
    ? { ...base, color: colour, fillColor: colour, fillOpacity: 0.12, dashArray: p.share === "contact" ? "1 5" : null }
    : { ...base, color: colour, dashArray: "6 4", fillColor: `url(#${hatch(p.party)})`, fillOpacity: 1 };
  if (conflicting) Object.assign(style, { color: CONFLICT_COLOUR, weight: 3 });
  return style;
}

// A ring of fixed size on the screen, so a conflicting activity stands out however far out one zooms.
function conflictRing(feature) {
  return L.circleMarker(featureBounds(feature).getCenter(), {
    renderer, radius: 12, color: CONFLICT_COLOUR, weight: 2, fill: false, dashArray: "3 3", interactive: false, className: "conflict-ring",
  });
}

/** The SVG pattern that hatches a party's activities. */
function hatch(party) {
  const id = `hatch-${partyIndex(party)}`;
  if (document.getElementById(id)) return id;
  const colour = partyColour(party);
  const pattern = svg("pattern", { id, patternUnits: "userSpaceOnUse", width: 9, height: 9, patternTransform: "rotate(45)" });
  pattern.append(
    svg("rect", { width: 9, height: 9, fill: colour, "fill-opacity": 0.08 }),
    svg("rect", { width: 3, height: 9, fill: colour, "fill-opacity": 0.6 }),
  );
  document.querySelector("#patterns defs").append(pattern);
  return id;
}

// The overlap: `feature` filled red, clipped to the outline of the feature it meets.
function overlap(feature, otherKey, layer) {
  const clipId = `clip-${otherKey}`;
  if (!document.getElementById(clipId)) {
    const clip = svg("clipPath", { id: clipId });
    clip.append(svg("use", { href: `#shape-${otherKey}` }));
    document.querySelector("#patterns defs").append(clip);
  }
  const style = { renderer, stroke: false, fillColor: CONFLICT_COLOUR, fillOpacity: 0.5, interactive: false, className: "overlap" };
  const [shape] = shapeLayers(feature, style);
  shape.addTo(layer);
  shape.getElement().setAttribute("clip-path", `url(#${clipId})`);
  shape.getElement().dataset.overlap = feature.id;
  shape.getElement().dataset.overlapKey = keyOf(feature);
}

function svg(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, String(v));
  return element;
}

function clearDefs(tag) {
  for (const node of document.querySelectorAll(`#patterns defs ${tag}`)) node.remove();
}

/** True when one of the feature's occurrences holds the moment `at`. */
/** The features drawn that lie at least partly in the map's view, activities first. */
export function featuresInView() {
  const view = map.getBounds();
  return Array.from(drawn.values()).map((entry) => entry.feature)
    .filter((feature) => view.intersects(featureBounds(feature)))
    .sort((a, b) => kindRank(b) - kindRank(a) || label(a).localeCompare(label(b)));
}

/** Call `listener` whenever the map's view has moved or zoomed. */
export const onView = (listener) => map.on("moveend", listener);

export function isActive(feature, at) {
  const p = feature.properties;
  if (p.cancelled_at || p.closed_at) return false;
  return occurrenceAt(p, at.getTime()) !== null;
}

/** Dim what is not active at `at`. */
export function applyTime(at) {
  selectedTime = at;
  for (const { feature, layers } of drawn.values()) {
    const active = isActive(feature, at);
    for (const layer of layers) layer.getElement()?.classList.toggle("inactive", !active);
  }
  for (const layer of overlapLayer.getLayers()) {
    const entry = drawn.get(layer.getElement()?.dataset.overlapKey);
    layer.getElement()?.classList.toggle("inactive", !!entry && !isActive(entry.feature, at));
  }
  for (const button of document.querySelectorAll("#feature-list button")) {
    const entry = drawn.get(button.dataset.key);
    button.classList.toggle("inactive", !!entry && !isActive(entry.feature, at));
  }
}

// Leaflet's zoom buttons, named in the console's language.
function sayControls() {
  for (const [selector, key] of [[".leaflet-control-zoom-in", "map.zoom_in"], [".leaflet-control-zoom-out", "map.zoom_out"]]) {
    const button = map.getContainer().querySelector(selector);
    button?.setAttribute("title", t(key));
    button?.setAttribute("aria-label", t(key));
  }
}

function featureIndex() {
  const box = h("details", { class: "feature-index", id: "feature-index" },
    h("summary", {}, h("span", { id: "feature-index-title" }), h("span", { id: "feature-index-count", class: "count" })),
    h("ul", { id: "feature-list", class: "feature-list", "aria-labelledby": "feature-index-title" }));
  L.DomEvent.disableClickPropagation(box);
  L.DomEvent.disableScrollPropagation(box);
  box.querySelector("ul").addEventListener("keydown", moveInList);
  return box;
}

// The list of what is drawn (activities first), one Tab stop: arrows move within it.
function renderIndex() {
  const list = document.getElementById("feature-list");
  if (!list) return;
  document.getElementById("feature-index-title").textContent = t("map.features");
  document.getElementById("feature-index-count").textContent = String(drawn.size);
  const focusedKey = list.contains(document.activeElement) ? document.activeElement.dataset.key : null;
  const entries = Array.from(drawn.entries()).sort(([, a], [, b]) =>
    kindRank(b.feature) - kindRank(a.feature) || label(a.feature).localeCompare(label(b.feature)));
  list.replaceChildren(...entries.map(([key, { feature, layers }], i) => {
    const button = h("button", {
      type: "button", tabindex: i === 0 ? "0" : "-1",
      dataset: { key, feature: feature.id, conflict: layers[0]?.getElement()?.dataset.conflict || "false" },
      onclick: () => openCard(key, button),
    }, labelled(feature));
    button.style.setProperty("--c", partyColour(feature.properties.party));
    return h("li", {}, button);
  }));
  const again = focusedKey && list.querySelector(`button[data-key="${CSS.escape(focusedKey)}"]`);
  if (again) rove(list, again);
  applyTime(selectedTime);
}

function moveInList(e) {
  const buttons = Array.from(e.currentTarget.querySelectorAll("button"));
  const at = buttons.indexOf(document.activeElement);
  const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[e.key];
  if (to === undefined || at < 0) return;
  e.preventDefault();
  rove(e.currentTarget, buttons[Math.max(0, Math.min(buttons.length - 1, to))]);
}

// From the list or a match of Find: zoom to the feature and open its card with focus in it;
// Escape returns to where it was chosen.
function openCard(key, from) {
  if (!focusFeature(key)) return;
  const card = document.querySelector(`.leaflet-popup .card[data-feature="${CSS.escape(drawn.get(key).feature.id)}"]`);
  if (!card) return;
  card.tabIndex = -1;
  card.focus({ preventScroll: true });
  card.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    map.closePopup();
    from.focus();
  });
}

/**
 * Zoom to a feature by its key (with the features it meets, if given) and open its card.
 * Those of them in hidden layers are shown: asked for by name, a feature is never kept hidden.
 */
export function focusFeature(key, alsoShow = []) {
  showLayersFor([key, ...alsoShow]);
  const entry = drawn.get(key);
  if (!entry) return false;
  let bounds = featureBounds(entry.feature);
  for (const other of alsoShow) {
    if (drawn.has(other)) bounds = bounds.extend(featureBounds(drawn.get(other).feature));
  }
  fit(bounds.pad(0.3), 11);
  if (!alsoShow.length) entry.layers.group.openPopup(featureBounds(entry.feature).getCenter());
  return true;
}

function showLayersFor(keys) {
  const wanted = new Set(keys.filter((key) => !drawn.has(key)));
  const shown = given.features.filter((f) => wanted.has(keyOf(f))).map(showLayersOf);
  if (shown.some(Boolean)) emit("layers");
}

// Fit the map to `bounds`. A hidden map (another view shows on a phone) has no size to fit to,
// so it fits when it is next shown.
let pendingFit = null;
function fit(bounds, maxZoom) {
  map.invalidateSize({ pan: false });
  pendingFit = [bounds, maxZoom];
  fitPending();
}

function fitPending() {
  const size = map.getSize();
  if (!pendingFit || !size.x || !size.y) return;
  const [bounds, maxZoom] = pendingFit;
  pendingFit = null;
  map.fitBounds(bounds, { maxZoom, animate: false }); // a card opened on a moving map would move under the finger
}

export function fitAll() {
  const own = state.features.filter((f) => f.properties.party === state.session.party);
  const chosen = own.length ? own : state.features;
  if (!chosen.length) return;
  let bounds = featureBounds(chosen[0]);
  for (const feature of chosen.slice(1)) bounds = bounds.extend(featureBounds(feature));
  fit(bounds.pad(0.3), 10);
}

/** The activity being prepared, with the conflicts the server found for it. */
export function showDraft(feature, conflicts = []) {
  draftLayer.clearLayers();
  if (!feature) return;
  const layers = drawFeature(feature, conflicts.length > 0, draftLayer, "draft");
  for (const conflict of conflicts) {
    const other = conflict.against && drawn.get(featureKey(conflict.party, conflict.against));
    if (other) overlap(feature, other.key, draftLayer);
  }
  const bounds = featureBounds(feature);
  if (!map.getBounds().contains(bounds)) fit(bounds.pad(1.5), 11);
  return layers;
}

/** Another party's feature that a dry run found meeting one of our hidden zones (a probe). */
export function showProbe(probe) {
  const style = { renderer, color: CONFLICT_COLOUR, weight: 2, dashArray: "2 6", fillColor: CONFLICT_COLOUR, fillOpacity: 0.08, className: "shape probe" };
  const layers = shapeLayers(probe.feature, style);
  const group = L.featureGroup(layers).addTo(probeLayer);
  group.bindTooltip(() => h("span", { text: probeLabel(probe) }), { sticky: true, direction: "top" });
  outOfTabOrder(layers);
  const outline = layers[0]?.getElement();
  if (outline) {
    outline.dataset.probe = String(probe.entry);
    outline.dataset.party = probe.party;
  }
}

export const probeLabel = (probe) => t("probe.line", { party: probe.party_name, zone: probe.zone_name || probe.zone });

/** Zoom to a probe's feature, with our zone it met when it is drawn. */
export function focusProbe(probe) {
  let bounds = featureBounds(probe.feature);
  if (drawn.has(probe.zone)) bounds = bounds.extend(featureBounds(drawn.get(probe.zone).feature));
  fit(bounds.pad(0.3), 11);
}

function label(feature) {
  const p = feature.properties;
  const what = p.kind === "zone" ? t("kind.zone") : t(`activity.${p.activity || "other"}`);
  return [p.name || feature.id, partyName(p.party), what, bandText(p.altitude)].filter(Boolean).join(" · ");
}

// The label in parts: names and levels kept as they are, the kind in the console's words.
function labelled(feature) {
  const p = feature.properties;
  const what = p.kind === "zone" ? t("kind.zone") : t(`activity.${p.activity || "other"}`);
  const kept = (text) => h("bdi", { translate: "no", text });
  return [kept(p.name || feature.id), " · ", kept(partyName(p.party)), ` · ${what}`,
    p.altitude ? [" · ", kept(bandText(p.altitude))] : null];
}

function popup(feature) {
  const p = feature.properties;
  const mine = p.party === state.session.party;
  const repeats = scheduleText(p);
  const rows = [
    [t("popup.party"), h("bdi", { translate: "no", text: partyName(p.party) })],
    [t("popup.what"), p.kind === "zone" ? `${t("kind.zone")}${p.category ? ` (${p.category})` : ""}` : t(`activity.${p.activity || "other"}`)],
    [t(repeats ? "popup.first" : "popup.when"), span(parseTime(p.start), parseTime(p.end))],
    repeats ? [t("popup.repeat"), repeats] : null,
    p.altitude ? [t("popup.altitude"), bandText(p.altitude)] : null,
    ...extentRows(p),
    p.buffer_m ? [t("notify.buffer"), `${metres(p.buffer_m)} ${t("unit.m")}`] : null,
    [t("popup.version"), String(p.version)],
  ].filter(Boolean);
  const card = h("div", { class: "card", dataset: { feature: feature.id } },
    h("strong", { translate: "no", text: p.name || feature.id }),
    p.name ? h("div", { class: "muted", translate: "no", text: feature.id }) : null,
    h("dl", {}, rows.map(([k, v]) => [h("dt", { text: k }), v instanceof Node ? h("dd", {}, v) : h("dd", { text: v })])),
    mine && p.share === "contact" ? h("p", { class: "note", text: t("popup.contact") }) : null,
  );
  const actions = h("div", { class: "actions" },
    h("button", {
      type: "button", class: "ghost", text: t("popup.show_time"),
      onclick: () => emit("time-to", new Date(nearestOccurrence(p, serverNow().getTime()).start)),
    }));
  if (mine && canPlan() && !p.cancelled_at && !p.closed_at) {
    if (formHolds(feature)) {
      actions.append(h("button", { type: "button", class: "ghost", dataset: { act: "amend" }, text: t("popup.amend"), onclick: () => { map.closePopup(); emit("amend-feature", feature); } }));
    } else {
      card.append(h("p", { class: "note", dataset: { note: "not-amendable" }, text: t("popup.not_amendable") }));
    }
    actions.append(cancelButton(feature));
  }
  card.append(actions);
  return card;
}

const metres = (value) => Math.round(value).toLocaleString("en-US");
const bearing = (value) => `${String(Math.round(value)).padStart(3, "0")}°`;

// How far the shape reaches: radius, half width, or the sector's, orbit's or track's measures.
function extentRows(p) {
  if (p.sector) {
    const { outer_m: outer, inner_m: inner, from_deg: from, to_deg: to } = p.sector;
    return [
      [t("popup.radii"), `${metres(inner || 0)}–${metres(outer)} ${t("unit.m")}`],
      [t("popup.bearings"), `${bearing(from ?? 0)}–${bearing(to ?? 360)} ${t("popup.clockwise")}`],
    ];
  }
  if (p.orbit) return [[t("popup.width"), `${metres(p.orbit.width_m)} m · ${t(`side.${p.orbit.side || "centre"}`)}`]];
  if (p.track) return [[t("popup.width"), `${t("side.left")} ${metres(p.track.left_m || 0)} ${t("unit.m")} · ${t("side.right")} ${metres(p.track.right_m || 0)} ${t("unit.m")}`]];
  if (p.radius_m) return [[t("notify.radius"), `${metres(p.radius_m)} ${t("unit.m")}`]];
  if (p.half_width_m) return [[t("notify.half_width"), `${metres(p.half_width_m)} ${t("unit.m")}`]];
  return [];
}

// Two steps, so a stray click never cancels: the first arms the button, the second sends.
// Whether the declare form shows every part of the feature's shape, so that an amendment sent
// from it keeps what the officer did not touch: not a polygon's holes, a multipolygon's further
// parts or a bare point (the form's circle needs a radius).
function formHolds(feature) {
  const p = feature.properties;
  const geometry = feature.geometry;
  if (p.sector || p.orbit || p.track || geometry.type === "LineString") return true;
  if (geometry.type === "Point") return p.radius_m !== undefined && p.radius_m !== null;
  return geometry.type === "Polygon" && geometry.coordinates.length === 1;
}

function cancelButton(feature) {
  const button = h("button", { type: "button", class: "danger", text: t("popup.cancel") });
  button.addEventListener("click", () => {
    if (button.dataset.armed) emit("cancel-feature", feature.id);
    else {
      button.dataset.armed = "true";
      button.textContent = t("popup.cancel_confirm");
    }
  });
  return button;
}

/** The layers (the legend) and the list of what is drawn, in the current language. */
export function renderLegend() {
  renderLayers(given.features);
  renderIndex();
}
