// The map's layers: each party's features and each kind (zones, activities) can be hidden from
// the map and its list. Hiding changes the map only: the inbox, the timeline and the search keep
// everything, so a hidden feature never hides a notice. The control is also the map's legend
// (each party's colour, how zones, activities and conflicts are drawn); on a phone it starts
// folded, so it does not cover the map. The choice is kept per signed-in party in this tab
// (sessionStorage, like the view and the drafts): a new tab starts with everything shown.

/* global L */

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { emit, partyColour, state } from "./state.js";

const KINDS = ["zone", "activity"];
const PHONE = "(max-width: 599px)";
const hidden = { parties: new Set(), kinds: new Set() };
let box = null;

const storageKey = () => `deconflict.layers.${state.session.party}`;

/** The layers control (bottom left of `map`), with the choice this tab kept for the party. */
export function addLayers(map) {
  restore();
  const control = L.control({ position: "bottomleft" });
  control.onAdd = () => {
    box = h("details", { class: "layers", id: "layers", open: !matchMedia(PHONE).matches },
      h("summary", {}, h("span", { id: "layers-title" }), h("span", { id: "layers-hidden", class: "hidden-count" })),
      h("div", { id: "layers-body", class: "layers-body" }));
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    box.addEventListener("change", toggled);
    return box;
  };
  control.addTo(map);
}

/** False when the feature's party or kind is hidden from the map. */
export const isShown = (feature) => !hidden.parties.has(feature.properties.party) && !hidden.kinds.has(feature.properties.kind);

/** Show the layers that hold `feature` (its party's and its kind's); true when one was hidden. */
export function showLayersOf(feature) {
  const party = hidden.parties.delete(feature.properties.party);
  const kind = hidden.kinds.delete(feature.properties.kind);
  if (!party && !kind) return false;
  save();
  return true;
}

/** Draw the control for `features` (what the console holds): the parties that have any, the kinds. */
export function renderLayers(features) {
  if (!box) return;
  document.getElementById("layers-title").textContent = t("layers.title");
  const count = features.filter((f) => !isShown(f)).length;
  document.getElementById("layers-hidden").textContent = count ? t("layers.hidden", { n: count }) : "";
  const present = new Set(features.map((f) => f.properties.party));
  const parties = Array.from(state.parties.values()).filter((p) => present.has(p.id) || hidden.parties.has(p.id));
  document.getElementById("layers-body").replaceChildren(...[
    h("fieldset", {}, h("legend", { text: t("layers.parties") }),
      parties.map((party) => row({ party: party.id }, hidden.parties.has(party.id), swatch(partyColour(party.id)), party.name, true))),
    h("fieldset", {}, h("legend", { text: t("layers.kinds") }),
      KINDS.map((kind) => row({ kind }, hidden.kinds.has(kind), swatch(null, kind), t(`legend.${kind}`)))),
    h("div", { class: "key" }, swatch(null, "conflict"), h("span", { text: t("legend.conflict") })),
    count ? h("p", { class: "hint", text: t("layers.map_only") }) : null,
  ].filter(Boolean));
}

/** One toggle; a party's name is its own (`translate=no`, isolated), not a UI word. */
function row(dataset, off, mark, text, name = false) {
  const label = name ? h("bdi", { text, translate: "no" }) : h("span", { text });
  return h("label", { class: "layer" }, h("input", { type: "checkbox", checked: !off, dataset }), mark, label);
}

function swatch(colour, kind = "") {
  const mark = h("span", { class: `swatch ${kind}`.trim(), "aria-hidden": "true" });
  if (colour) mark.style.setProperty("--c", colour);
  return mark;
}

function toggled(e) {
  const input = e.target;
  const [set, value] = input.dataset.party ? [hidden.parties, input.dataset.party] : [hidden.kinds, input.dataset.kind];
  if (input.checked) set.delete(value);
  else set.add(value);
  save();
  emit("layers");
}

function save() {
  sessionStorage.setItem(storageKey(), JSON.stringify({ parties: [...hidden.parties], kinds: [...hidden.kinds] }));
}

function restore() {
  try {
    const kept = JSON.parse(sessionStorage.getItem(storageKey())) ?? {};
    hidden.parties = new Set(kept.parties ?? []);
    hidden.kinds = new Set((kept.kinds ?? []).filter((kind) => KINDS.includes(kind)));
  } catch {
    hidden.parties = new Set();
    hidden.kinds = new Set();
  }
}
