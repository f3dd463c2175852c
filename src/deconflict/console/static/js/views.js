// The phone's tab bar: on a narrow screen one view shows at a time (the map, the inbox or the
// timeline); wider screens show them all and ignore the choice. In the inbox view the inbox's own
// tabs (Inbox, Sent, Declare) take the Inbox button's place in the bar, so one bar shows, not two.

import { $, $$ } from "./dom.js";
import { on } from "./state.js";

const STORAGE_KEY = "deconflict.view";
const PHONE = matchMedia("(max-width: 599px)");

export function initViews() {
  for (const button of $$(".views [data-view]")) button.addEventListener("click", () => showView(button.dataset.view));
  on("show-view", showView);
  PHONE.addEventListener("change", placeTabs);
  showView(sessionStorage.getItem(STORAGE_KEY) || "map");
}

// The inbox's tabs: in the phone's bar while the inbox shows, atop the inbox column otherwise.
function placeTabs() {
  const tabs = $('[role="tablist"]');
  const inBar = PHONE.matches && document.body.dataset.view === "inbox";
  const home = inBar ? $(".views") : $("#side");
  if (tabs.parentElement === home) return;
  const focused = tabs.contains(document.activeElement) ? document.activeElement : null;
  if (inBar) $("#view-inbox").after(tabs);
  else home.prepend(tabs);
  focused?.focus();
}

/** Show one of "map", "inbox" or "timeline" (on a phone; elsewhere all are shown anyway). */
export function showView(view) {
  document.body.dataset.view = view;
  sessionStorage.setItem(STORAGE_KEY, view);
  for (const button of $$(".views [data-view]")) button.setAttribute("aria-pressed", String(button.dataset.view === view));
  placeTabs();
}
