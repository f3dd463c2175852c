// Find a feature by its id or name as one types, in any script and any case (both sides in NFC,
// lower-cased), among every feature the console holds: what the party may see, hidden layers
// included. Choosing a match jumps to it and opens its card, showing its layers if they were hidden.

/* global L */

import { h, rove } from "./dom.js";
import { t } from "./i18n.js";
import { isShown } from "./layers.js";
import { keyOf, on, partyColour, partyName, state } from "./state.js";

const MOST = 20; // matches listed; the count says how many more there are

/** The search box at the top right of `map`; `open(key, from)` jumps to a feature and opens its card. */
export function addSearch(map, open) {
  const input = h("input", {
    id: "map-search", class: "map-search", type: "search", autocomplete: "off", spellcheck: "false",
    placeholder: t("search.placeholder"), "data-i18n-placeholder": "search.placeholder",
    "aria-describedby": "map-search-status", "aria-controls": "map-search-results",
  });
  const status = h("p", { id: "map-search-status", class: "search-status", role: "status" });
  const results = h("ul", { id: "map-search-results", class: "feature-list search-results", "aria-label": t("search.results"), "data-i18n-label": "search.results" });
  const choose = (button) => {
    results.replaceChildren();
    status.textContent = "";
    open(button.dataset.key, input);
  };
  const render = () => {
    const focusedKey = results.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    const found = matches(input.value);
    status.textContent = input.value.trim() ? countText(found.length) : "";
    results.replaceChildren(...found.slice(0, MOST).map((feature, i) => h("li", {}, resultButton(feature, i, choose))));
    const again = focusedKey && results.querySelector(`button[data-key="${CSS.escape(focusedKey)}"]`);
    if (again) rove(results, again);
  };
  input.addEventListener("input", render);
  input.addEventListener("keydown", (e) => {
    const first = results.querySelector("button");
    if (e.key === "ArrowDown" && first) {
      e.preventDefault();
      rove(results, first);
    } else if (e.key === "Enter" && first) {
      e.preventDefault();
      choose(first);
    }
  });
  results.addEventListener("keydown", (e) => moveIn(e, input));
  on("features", () => { if (results.childElementCount) render(); });
  on("language", () => { if (results.childElementCount) render(); });

  const control = L.control({ position: "topright" });
  control.onAdd = () => {
    const box = h("div", { class: "search", role: "search" },
      h("label", { for: "map-search", class: "visually-hidden", "data-i18n": "search.label", text: t("search.label") }),
      input, status, results);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(map);
}

/** Text compared in any script and case: NFC, so a letter typed decomposed matches it stored whole. */
export const folded = (text) => String(text ?? "").normalize("NFC").toLowerCase();

/** The features whose id or name holds `query`: those starting with it first, then by name. */
export function matches(query) {
  const wanted = folded(query.trim());
  if (!wanted) return [];
  const rank = (f) => ([f.id, f.properties.name].some((text) => folded(text).startsWith(wanted)) ? 0 : 1);
  return state.features
    .filter((f) => [f.id, f.properties.name].some((text) => folded(text).includes(wanted)))
    .sort((a, b) => rank(a) - rank(b) || title(a).localeCompare(title(b)));
}

function countText(n) {
  if (!n) return t("search.none");
  return n > MOST ? t("search.more", { n, most: MOST }) : t("search.count", { n });
}

const title = (feature) => (feature.properties.name ? `${feature.properties.name} · ${feature.id}` : feature.id);

function resultButton(feature, i, choose) {
  const p = feature.properties;
  const what = p.kind === "zone" ? t("kind.zone") : activityWord(p.activity || "other");
  const button = h("button", {
    type: "button", tabindex: i === 0 ? "0" : "-1", dataset: { key: keyOf(feature), feature: feature.id, hidden: String(!isShown(feature)) },
    // Choosing empties the list, so Leaflet no longer finds the control above the button and
    // would take the click for one on the map (which closes the card): it stops here.
    onclick: (e) => { e.stopPropagation(); choose(e.currentTarget); },
  }, h("bdi", { text: title(feature) }), ` · ${partyName(p.party)} · ${what}`,
  isShown(feature) ? null : h("span", { class: "tag", text: t("search.hidden") }));
  button.style.setProperty("--c", partyColour(p.party));
  return button;
}

// An activity the console has no word for (the line takes any) is named as the plan names it.
function activityWord(activity) {
  const key = `activity.${activity}`;
  const word = t(key);
  return word === key ? activity : word;
}

// The matches are one Tab stop: arrows move in them, Escape goes back to the box.
function moveIn(e, input) {
  const buttons = Array.from(e.currentTarget.querySelectorAll("button"));
  const at = buttons.indexOf(document.activeElement);
  if (e.key === "Escape") {
    e.preventDefault();
    input.focus();
    return;
  }
  const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[e.key];
  if (to === undefined || at < 0) return;
  e.preventDefault();
  if (to < 0) input.focus();
  else rove(e.currentTarget, buttons[Math.min(buttons.length - 1, to)]);
}
