// Whether the line's witnesses cosign the record's checkpoint, in the header: green while none
// lags (how many cosigned the checkpoint served now), amber naming the ones that lag and for how
// long; nothing when the line has no witnesses.

import { get } from "./api.js";
import { $, h } from "./dom.js";
import { t } from "./i18n.js";
import { on, serverNow } from "./state.js";
import { HOUR_MS, MINUTE_MS, duration } from "./time.js";

const POLL_MS = 30_000;
// The line asks its witnesses after each commit; a look this long after a live update sees
// the answer of a witness that is up.
const AFTER_UPDATE_MS = 2_000;

let status = null; // the line's last answer to GET /v1/log/witnesses
let soon = null;

export function initWitnesses() {
  on("language", render);
  for (const topic of ["notices", "features"]) {
    on(topic, () => {
      clearTimeout(soon);
      soon = setTimeout(refresh, AFTER_UPDATE_MS);
    });
  }
  refresh();
  setInterval(refresh, POLL_MS);
}

async function refresh() {
  try {
    status = await get("/v1/log/witnesses");
  } catch {
    return; // a line that cannot be reached is told by the link in the header
  }
  render();
}

function render() {
  const element = $("#witnesses");
  const witnesses = status?.witnesses ?? [];
  element.hidden = !witnesses.length;
  if (!witnesses.length) return;
  const lagging = witnesses.filter((w) => w.lagging);
  element.dataset.status = lagging.length ? "lagging" : "ok";
  element.title = t("witnesses.title");
  if (!lagging.length) {
    const cosigned = witnesses.filter((w) => w.cosigned).length;
    element.textContent = t("witnesses.ok", { n: cosigned, total: witnesses.length });
    return;
  }
  const since = Math.min(...lagging.map((w) => Date.parse(w.behind_since)));
  const key = lagging.length === 1 ? "witnesses.lagging" : "witnesses.lagging_many";
  const sentence = t(key, { n: lagging.length, t: behindFor(serverNow() - since) });
  const names = lagging.flatMap((w, i) => [i ? ", " : [], h("bdi", { translate: "no", text: w.name })]);
  const [before, after] = sentence.split("{name}");
  element.replaceChildren(before, ...names, after);
}

// Whole minutes under an hour ("7 min"), hours and minutes beyond.
function behindFor(ms) {
  if (ms >= HOUR_MS) return duration(ms);
  return `${Math.max(1, Math.floor(ms / MINUTE_MS))} ${t("unit.min")}`;
}
