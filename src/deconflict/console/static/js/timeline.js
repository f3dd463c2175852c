// The time slider and the timeline strip: scrub through the coming days and see what is
// active when. In live mode the chosen time is "now" and follows the clock.

import { describe, get, query } from "./api.js";
import { $, h } from "./dom.js";
import { t } from "./i18n.js";
import { applyTime, focusFeature, isActive } from "./map.js";
import { emit, on, partyColour, serverNow, state } from "./state.js";
import { DAY_MS, HOUR_MS, MINUTE_MS, dtg, moment, parseTime } from "./time.js";

const LEAD_MS = 6 * HOUR_MS; // the window opens this long before now, or before a chosen time
const time = { live: true, selected: new Date(), windowStart: null, spanDays: 3 };

export function initTimeline() {
  const slider = $("#time-slider");
  slider.addEventListener("input", () => {
    time.windowStart = windowStart();
    time.live = false;
    time.selected = new Date(time.windowStart + Number(slider.value) * MINUTE_MS);
    render();
  });
  $("#time-now").addEventListener("click", () => { time.live = true; render(); });
  $("#time-span").addEventListener("change", (e) => { time.spanDays = Number(e.target.value); render(); });
  $("#time-go").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("#time-go-text");
    try {
      const read = await get(query("/v1/time", { text: input.value.trim() }));
      jumpTo(new Date(read.iso));
      input.removeAttribute("aria-invalid");
    } catch (error) {
      input.setAttribute("aria-invalid", "true");
      emit("toast", describe(error), "error");
    }
  });
  $("#strip").addEventListener("click", (e) => {
    if (e.target.closest(".span-bar")) return;
    const lanes = $("#strip .lanes");
    if (!lanes) return;
    const box = lanes.getBoundingClientRect();
    let fraction = (e.clientX - box.left) / box.width;
    if (document.dir === "rtl") fraction = 1 - fraction;
    time.windowStart = windowStart();
    time.live = false;
    time.selected = new Date(time.windowStart + Math.max(0, Math.min(1, fraction)) * spanMs());
    render();
  });
  on("features", render);
  on("language", render);
  on("time-to", (date) => jumpTo(date));
  setInterval(() => { if (time.live) render(); }, 15_000);
  render();
}

/** Show the line at `date`: the window moves so that `date` is in view. */
export function jumpTo(date) {
  time.live = false;
  time.selected = date;
  time.windowStart = Math.floor((date.getTime() - LEAD_MS) / HOUR_MS) * HOUR_MS;
  render();
}

const spanMs = () => time.spanDays * DAY_MS;

function windowStart() {
  if (time.live || time.windowStart === null) return Math.floor((serverNow().getTime() - LEAD_MS) / (15 * MINUTE_MS)) * 15 * MINUTE_MS;
  return time.windowStart;
}

function render() {
  if (time.live) time.selected = serverNow();
  const start = windowStart();
  const slider = $("#time-slider");
  slider.max = String(spanMs() / MINUTE_MS);
  slider.value = String(Math.round((time.selected - start) / MINUTE_MS));
  slider.setAttribute("aria-valuetext", moment(time.selected));
  slider.setAttribute("aria-label", t("time.title"));
  $("#time-shown").textContent = `${moment(time.selected)}${time.live ? ` · ${t("time.live")}` : ""}`;
  $("#time-now").setAttribute("aria-pressed", String(time.live));
  document.body.classList.toggle("time-live", time.live);
  renderStrip(start, start + spanMs());
  applyTime(time.selected);
}

function renderStrip(start, end) {
  const at = (moment) => `${(100 * (moment - start)) / (end - start)}%`;
  const lanes = h("div", { class: "lanes" });
  const header = h("div", { class: "ticks" });
  for (let day = Math.ceil(start / DAY_MS) * DAY_MS; day < end; day += DAY_MS) {
    const tick = h("span", { class: "tick", text: dtg(new Date(day)).slice(0, 7) });
    tick.style.insetInlineStart = at(day);
    header.append(tick);
  }
  lanes.append(header);
  for (const feature of visible(start, end)) lanes.append(bar(feature, start, end, at));
  for (const [name, moment] of [["now", serverNow().getTime()], ["chosen", time.selected.getTime()]]) {
    if (moment < start || moment > end) continue;
    const marker = h("div", { class: `marker ${name}` });
    marker.style.insetInlineStart = at(moment);
    lanes.append(marker);
  }
  $("#strip").replaceChildren(lanes);
}

function visible(start, end) {
  return state.features
    .filter((f) => {
      const s = parseTime(f.properties.start);
      const e = parseTime(f.properties.end);
      return s < end && (!e || e > start);
    })
    .sort((a, b) => rank(a) - rank(b) || parseTime(a.properties.start) - parseTime(b.properties.start));
}

const rank = (feature) => (feature.properties.kind === "activity" ? 0 : 1);

function bar(feature, start, end, at) {
  const p = feature.properties;
  const from = Math.max(start, parseTime(p.start).getTime());
  const to = Math.min(end, p.end ? parseTime(p.end).getTime() : end);
  const name = p.name || feature.id;
  const button = h("button", {
    type: "button",
    class: `span-bar ${p.kind}${isActive(feature, time.selected) ? " active" : ""}`,
    text: name,
    title: `${name} · ${dtg(parseTime(p.start))} – ${p.end ? dtg(parseTime(p.end)) : t("ufn")}`,
    "aria-label": `${name}, ${dtg(parseTime(p.start))} – ${p.end ? dtg(parseTime(p.end)) : t("ufn")}`,
    dataset: { feature: feature.id },
    onclick: () => {
      focusFeature(feature.id);
      if (!isActive(feature, time.selected)) jumpTo(parseTime(p.start));
    },
  });
  button.style.setProperty("--c", partyColour(p.party));
  button.style.insetInlineStart = at(from);
  button.style.width = `${Math.max(0.6, (100 * (to - from)) / (end - start))}%`;
  return h("div", { class: "lane" }, button);
}
