// Probes of our hidden zones: each time another party's dry run met one of our `contact` zones,
// the line tells us on the event stream who checked what. Each is listed in the inbox panel and
// its feature drawn on the map; one that comes while the console is open also shows a toast.

import { $, h } from "./dom.js";
import { t } from "./i18n.js";
import { focusProbe, probeLabel, showProbe } from "./map.js";
import { emit, on, serverNow } from "./state.js";
import { dtg, moment, parseTime } from "./time.js";

const FRESH_MS = 60_000; // older ones came from the stream's replay of what we missed
const probes = new Map(); // record entry -> probe

export function initProbes() {
  on("language", render);
}

/** Take a probe from the stream; true when it is new and fresh (worth a sound). */
export function receivedProbe(probe) {
  if (probes.has(probe.entry)) return false;
  probes.set(probe.entry, probe);
  showProbe(probe);
  render();
  const fresh = serverNow() - parseTime(probe.at) < FRESH_MS;
  if (fresh) emit("toast", probeLabel(probe), "error");
  return fresh;
}

function render() {
  const newest = Array.from(probes.values()).sort((a, b) => b.entry - a.entry);
  $("#probes").hidden = newest.length === 0;
  $("#probe-list").replaceChildren(...newest.map(item));
}

function item(probe) {
  const at = parseTime(probe.at);
  return h("li", { class: "probe", dataset: { entry: String(probe.entry), party: probe.party } },
    h("span", { class: "at", text: dtg(at), title: moment(at) }),
    h("span", { class: "text", text: probeLabel(probe) }),
    h("span", { class: "muted", text: t("receipt", { n: probe.entry }) }),
    h("button", { type: "button", class: "ghost", text: t("notice.show"), onclick: () => focusProbe(probe) }),
  );
}
