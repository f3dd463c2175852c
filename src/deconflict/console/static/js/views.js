// The phone's tab bar: on a narrow screen one view shows at a time (the map, the inbox or the
// timeline); wider screens show them all and ignore the choice.

import { $$ } from "./dom.js";
import { on } from "./state.js";

const STORAGE_KEY = "deconflict.view";

export function initViews() {
  for (const button of $$(".views [data-view]")) button.addEventListener("click", () => showView(button.dataset.view));
  on("show-view", showView);
  showView(sessionStorage.getItem(STORAGE_KEY) || "map");
}

/** Show one of "map", "inbox" or "timeline" (on a phone; elsewhere all are shown anyway). */
export function showView(view) {
  document.body.dataset.view = view;
  sessionStorage.setItem(STORAGE_KEY, view);
  for (const button of $$(".views [data-view]")) button.setAttribute("aria-pressed", String(button.dataset.view === view));
}
