// The time slider and the timeline strip: scrub through the coming days and see what is
// active when (a repeating feature as one bar per occurrence). In live mode the chosen time is
// "now" and follows the clock. The console opens on now when an activity is on, otherwise on the
// start of the next one, so its first view shows the line's work.

import { describe, get, query } from "./api.js";
import { $, h } from "./dom.js";
import { t } from "./i18n.js";
import { applyTime, focusFeature, isActive } from "./map.js";
import { occurrencesBetween } from "./schedule.js";
import { emit, keyOf, on, partyColour, serverNow, state } from "./state.js";
import { DAY_MS, HOUR_MS, MINUTE_MS, dtg, moment, span } from "./time.js";

const LEAD_MS = 6 * HOUR_MS; // the window opens this long before now, or before a chosen time
const MOST_BARS = 400; // per feature and window: every hour for a week fits
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
  $("#time-next").addEventListener("click", () => {
    const next = nextActivity(time.selected.getTime());
    if (next) jumpTo(new Date(next));
    else emit("toast", t("time.no_next"), "info");
  });
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
    if (e.target.closest("button")) return;
    const track = $("#strip .ticks");
    if (!track) return;
    const box = track.getBoundingClientRect();
    let fraction = (e.clientX - box.left) / box.width;
    if (document.dir === "rtl") fraction = 1 - fraction;
    time.windowStart = windowStart();
    time.live = false;
    time.selected = new Date(time.windowStart + Math.max(0, Math.min(1, fraction)) * spanMs());
    render();
  });
  new ResizeObserver(keepTicksInside).observe($("#strip"));
  on("features", opening);
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

let opened = false;

// The first time the features arrive: if no activity is on now, go to the next one's start.
function opening() {
  if (!opened && time.live) {
    opened = true;
    const now = serverNow().getTime();
    const on = activities().some((f) => isActive(f, new Date(now)));
    const next = on ? null : nextActivity(now);
    if (next !== null && next - now < 7 * DAY_MS) {
      opensOn(next);
      return;
    }
  }
  render();
}

// Select `moment` in a window that still starts just before now: 3 days, or 7 when it is further.
function opensOn(moment) {
  time.live = false;
  time.windowStart = windowStart();
  time.selected = new Date(moment);
  if (moment >= time.windowStart + spanMs()) {
    time.spanDays = 7;
    $("#time-span").value = "7";
  }
  render();
}

const activities = () => state.features.filter((f) => f.properties.kind === "activity" && !f.properties.cancelled_at && !f.properties.closed_at);

/** When the first activity occurrence after `afterMs` starts (ms), or null when none does. */
function nextActivity(afterMs) {
  const starts = activities()
    .map((f) => occurrencesBetween(f.properties, afterMs, Infinity, 2).find((o) => o.start > afterMs)?.start)
    .filter((start) => start !== undefined);
  return starts.length ? Math.min(...starts) : null;
}

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

// One row per feature: its name in full beside the track of its bars, a tick per day above.
function renderStrip(start, end) {
  const at = (moment) => `${(100 * (moment - start)) / (end - start)}%`;
  const lanes = h("div", { class: "lanes" }, h("div", { class: "ticks-gap" }));
  const header = h("div", { class: "ticks" });
  for (let day = Math.ceil(start / DAY_MS) * DAY_MS; day < end; day += DAY_MS) {
    const tick = h("span", { class: "tick", text: dtg(new Date(day)).slice(0, 7) });
    tick.style.insetInlineStart = at(day);
    header.append(tick);
  }
  lanes.append(header);
  const shown = visible(start, end);
  for (const [i, [feature, occurrences]] of shown.entries()) {
    for (const cell of lane(feature, occurrences, start, end, at)) {
      cell.style.gridRow = String(i + 2);
      lanes.append(cell);
    }
  }
  const markers = h("div", { class: "markers", "aria-hidden": "true" });
  markers.style.gridRow = `1 / ${shown.length + 2}`;
  for (const [name, moment] of [["now", serverNow().getTime()], ["chosen", time.selected.getTime()]]) {
    if (moment < start || moment > end) continue;
    const marker = h("div", { class: `marker ${name}` });
    marker.style.insetInlineStart = at(moment);
    markers.append(marker);
  }
  lanes.append(markers);
  $("#strip").replaceChildren(lanes);
  keepTicksInside();
}

// A day's label runs from its line towards the end of the window; one too near the end (the right
// edge, the left in Arabic) would be cut off there, so it runs back from its line instead, and
// where that would cover the label before it (a narrow strip), its line stands without a label.
// Measured when shown: on a phone the strip has no size until its view is chosen.
function keepTicksInside() {
  const ticks = $("#strip .ticks");
  if (!ticks) return;
  const track = ticks.getBoundingClientRect();
  let before = null;
  for (const tick of ticks.querySelectorAll(".tick")) {
    tick.classList.remove("back", "bare");
    let box = tick.getBoundingClientRect();
    if (box.right > track.right + 0.5 || box.left < track.left - 0.5) {
      tick.classList.add("back");
      box = tick.getBoundingClientRect();
    }
    if (before && box.left < before.right && box.right > before.left) tick.classList.add("bare");
    else before = box;
  }
}

// [feature, its occurrences in the window] for each feature on at some time in [start, end).
function visible(start, end) {
  return state.features
    .map((f) => [f, occurrencesBetween(f.properties, start, end, MOST_BARS)])
    .filter(([, occurrences]) => occurrences.length > 0)
    .sort(([a, oa], [b, ob]) => rank(a) - rank(b) || oa[0].start - ob[0].start);
}

const rank = (feature) => (feature.properties.kind === "activity" ? 0 : 1);

// One lane per feature: its name is the lane's one Tab stop (to the feature and its next or
// current occurrence); its bars are for the pointer.
function lane(feature, occurrences, start, end, at) {
  const p = feature.properties;
  const name = p.name || feature.id;
  const on = isActive(feature, time.selected);
  const first = occurrences.find((o) => o.end === null || o.end > time.selected.getTime()) ?? occurrences[0];
  const when = span(new Date(first.start), first.end === null ? null : new Date(first.end));
  const title = h("button", {
    type: "button", class: `lane-name ${p.kind}${on ? " active" : ""}`, text: name, title: `${name} · ${when}`, translate: "no",
    "aria-label": `${name}, ${when}`, dataset: { feature: feature.id },
    onclick: () => show(feature, on ? null : first),
  });
  title.style.setProperty("--c", partyColour(p.party));
  const track = h("div", { class: "track" }, occurrences.map((o) => bar(feature, o, start, end, at)));
  return [title, track];
}

// Go to a feature on the map (the map view on a phone), at `occurrence` when one is given.
function show(feature, occurrence) {
  emit("show-view", "map");
  focusFeature(keyOf(feature));
  if (occurrence) jumpTo(new Date(occurrence.start));
}

function bar(feature, occurrence, start, end, at) {
  const p = feature.properties;
  const from = Math.max(start, occurrence.start);
  const to = Math.min(end, occurrence.end ?? end);
  const name = p.name || feature.id;
  const when = span(new Date(occurrence.start), occurrence.end === null ? null : new Date(occurrence.end));
  const on = occurrence.start <= time.selected && (occurrence.end === null || time.selected < occurrence.end);
  const button = h("button", {
    type: "button",
    tabindex: "-1",
    class: `span-bar ${p.kind}${on && isActive(feature, time.selected) ? " active" : ""}`,
    translate: "no",
    title: `${name} · ${when}`,
    "aria-label": `${name}, ${when}`,
    dataset: { feature: feature.id, start: new Date(occurrence.start).toISOString() },
    onclick: () => show(feature, on ? null : occurrence),
  });
  button.style.setProperty("--c", partyColour(p.party));
  button.style.insetInlineStart = at(from);
  button.style.width = `${Math.max(0.6, (100 * (to - from)) / (end - start))}%`;
  return button;
}
