// Notify an activity: draw it or type it (positions in decimal, DMS or MGRS, times as DTG or
// ISO, both read by the server), see the conflicts of a dry run, then send.

import { describe, get, post, query } from "./api.js";
import { $, $$, h } from "./dom.js";
import { startDrawing, stopDrawing, typed } from "./draw.js";
import { t } from "./i18n.js";
import { conflictText, loadNotices } from "./inbox.js";
import { showDraft } from "./map.js";
import { canPlan, emit, partyName, state } from "./state.js";
import { dtg, moment } from "./time.js";

export const ACTIVITIES = ["strike", "drill", "flight", "convoy", "patrol", "raid", "demining", "other"];

let checked = null; // the form as it was when last checked: Send needs the same form

export function initNotify() {
  const form = $("#notify");
  fillActivities();
  for (const radio of $$('input[name="shape"]', form)) radio.addEventListener("change", showShapeFields);
  form.addEventListener("input", changed);
  $("#draw").addEventListener("click", draw);
  $("#n-check").addEventListener("click", () => check());
  $("#n-clear").addEventListener("click", clear);
  form.addEventListener("submit", (e) => { e.preventDefault(); send(); });
  if (!canPlan()) {
    $("#notify-role").hidden = false;
    for (const control of $$("input, select, textarea, button", form)) control.disabled = true;
  }
  showShapeFields();
}

export function fillActivities() {
  const select = $("#n-activity");
  const chosen = select.value || "strike";
  select.replaceChildren(...ACTIVITIES.map((a) => h("option", { value: a, text: t(`activity.${a}`) })));
  select.value = chosen;
}

const shapeKind = () => $('#notify input[name="shape"]:checked').value;

function showShapeFields() {
  const kind = shapeKind();
  for (const field of $$("#notify [data-for]")) field.hidden = !field.dataset.for.split(" ").includes(kind);
  changed();
}

function changed() {
  if (checked && checked !== fingerprint()) {
    checked = null;
    $("#n-send").disabled = true;
  }
}

function fingerprint() {
  return JSON.stringify(Array.from(new FormData($("#notify")).entries()));
}

function draw() {
  const kind = shapeKind();
  const hint = (text) => { $("#draw-hint").textContent = text; };
  startDrawing(kind, (result) => {
    if (!result) return;
    if (kind === "circle") {
      $("#n-centre").value = typed(result.centre);
      $("#n-radius").value = String(result.radius_m);
    } else {
      $("#n-points").value = result.points.map(typed).join("\n");
    }
    changed();
    check();
  }, hint);
}

function clear() {
  stopDrawing();
  $("#notify").reset();
  showShapeFields();
  showDraft(null);
  $("#n-result").replaceChildren();
  checked = null;
  $("#n-send").disabled = true;
}

class InputProblem extends Error {}

/** The form as a GeoJSON Feature, every position and time read by the server; and what was read. */
async function build() {
  for (const field of $$("#notify [aria-invalid]")) field.removeAttribute("aria-invalid");
  for (const note of $$("#notify .field-error")) note.remove();
  const kind = shapeKind();
  const understood = [];
  const problems = [];
  const attempt = async (input, work) => {
    try {
      return await work();
    } catch (error) {
      problems.push(fieldError(input, error instanceof InputProblem ? error.message : describe(error)));
      return null;
    }
  };
  let geometry = null;
  const properties = { kind: "activity", activity: $("#n-activity").value };
  if (kind === "circle") {
    const centre = await attempt($("#n-centre"), () => position($("#n-centre").value));
    const radius = await attempt($("#n-radius"), async () => metres($("#n-radius"), true));
    if (centre) {
      geometry = { type: "Point", coordinates: [centre.lon_deg, centre.lat_deg] };
      understood.push(`${t("notify.centre_read")}: ${centre.dms} · ${centre.mgrs}`);
    }
    properties.radius_m = radius;
  } else {
    const input = $("#n-points");
    const points = await attempt(input, () => positions(input.value, kind === "polygon" ? 3 : 2));
    if (points) {
      const coordinates = points.map((p) => [p.lon_deg, p.lat_deg]);
      geometry = kind === "polygon"
        ? { type: "Polygon", coordinates: [[...coordinates, coordinates[0]]] }
        : { type: "LineString", coordinates };
      understood.push(...points.map((p, i) => `${i + 1}: ${p.dms} · ${p.mgrs}`));
    }
    if (kind === "corridor") properties.half_width_m = await attempt($("#n-half-width"), async () => metres($("#n-half-width"), true));
  }
  const buffer = await attempt($("#n-buffer"), async () => metres($("#n-buffer"), false));
  if (buffer) properties.buffer_m = buffer;
  const start = await attempt($("#n-start"), () => when($("#n-start"), true));
  const end = await attempt($("#n-end"), () => when($("#n-end"), false));
  const respondBy = await attempt($("#n-respond-by"), () => when($("#n-respond-by"), false));
  if (start) { properties.start = start.iso; understood.push(`${t("notify.start_read")}: ${start.dtg} (${start.iso})`); }
  properties.end = end ? end.iso : null;
  if (end) understood.push(`${t("notify.end_read")}: ${end.dtg} (${end.iso})`);
  if (respondBy) properties.respond_by = respondBy.iso;
  const lower = $("#n-lower").value.trim();
  const upper = $("#n-upper").value.trim();
  if (lower || upper) properties.altitude = { lower_m: lower ? Number(lower) : null, upper_m: upper ? Number(upper) : null };
  const name = $("#n-name").value.trim();
  if (name) properties.name = name;
  if (problems.length) {
    problems[0].focus();
    throw new InputProblem(t("notify.fix"));
  }
  const id = $("#n-id").value.trim() || madeId(properties);
  return { feature: { type: "Feature", id, geometry, properties }, understood };
}

function fieldError(input, message) {
  input.setAttribute("aria-invalid", "true");
  const note = h("p", { class: "field-error", id: `${input.id}-error`, text: message });
  input.setAttribute("aria-describedby", note.id);
  input.after(note);
  return input;
}

async function position(text) {
  if (!text.trim()) throw new InputProblem(t("notify.need_position"));
  return get(query("/v1/position", { text: text.trim() }));
}

async function positions(text, needed) {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  if (lines.length < needed) throw new InputProblem(t("notify.need_points", { n: needed }));
  const read = [];
  for (const [i, line] of lines.entries()) {
    try {
      read.push(await position(line));
    } catch (error) {
      throw new InputProblem(`${t("notify.line", { n: i + 1 })}: ${describe(error)}`);
    }
  }
  return read;
}

function metres(input, required) {
  const text = input.value.trim();
  if (!text) {
    if (required) throw new InputProblem(t("notify.need_metres"));
    return null;
  }
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new InputProblem(t("notify.need_metres"));
  return value;
}

async function when(input, required) {
  const text = input.value.trim();
  if (!text) {
    if (required) throw new InputProblem(t("notify.need_time"));
    return null;
  }
  return get(query("/v1/time", { text }));
}

function madeId(properties) {
  const bytes = new Uint8Array(2);
  crypto.getRandomValues(bytes);
  const suffix = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const at = properties.start ? dtg(new Date(properties.start)).toLowerCase() : "now";
  return `${properties.activity}-${at}-${suffix}`;
}

/** Dry run: what the activity would conflict with, shown on the map and listed; stores nothing. */
async function check() {
  const result = $("#n-result");
  result.replaceChildren(h("p", { class: "muted", text: t("notify.checking") }));
  try {
    const { feature, understood } = await build();
    const answer = await post("/v1/check", feature);
    showDraft(feature, answer.conflicts);
    result.replaceChildren(
      h("ul", { class: "understood" }, understood.map((line) => h("li", { text: line }))),
      conflictSummary(answer.conflicts),
    );
    checked = fingerprint();
    $("#n-send").disabled = !canPlan();
  } catch (error) {
    result.replaceChildren(h("p", { class: "error", role: "alert", text: error instanceof InputProblem ? error.message : describe(error) }));
  }
}

function conflictSummary(conflicts) {
  if (!conflicts.length) return h("p", { class: "clear", dataset: { conflicts: "0" }, text: t("notify.no_conflict") });
  return h("div", { class: "conflict-list", dataset: { conflicts: String(conflicts.length) } },
    h("p", { class: "error", text: t("notify.conflicts", { n: conflicts.length }) }),
    h("ul", { class: "conflicts" }, conflicts.map((c) => h("li", { text: conflictText(c) }))));
}

async function send() {
  if (!checked || checked !== fingerprint()) {
    await check();
    return;
  }
  const result = $("#n-result");
  try {
    const { feature } = await build();
    const answer = await post("/v1/activities", feature);
    const entry = answer.receipt ? answer.receipt.leaf_index : null;
    if (entry !== null) {
      state.receipts.set(feature.id, entry);
      for (const n of answer.notices) state.receipts.set(n.id, entry);
    }
    result.replaceChildren(
      h("p", { class: "sent", dataset: { sent: feature.id }, text: t("notify.sent", { id: feature.id }) }),
      conflictSummary(answer.conflicts),
      h("ul", { class: "notices-sent" }, answer.notices.map((n) => h("li", {
        text: `#${n.id} → ${partyName(n.recipient)}${n.priority ? ` · ${t("notice.conflict")}` : ""}${n.respond_by ? ` · ${t("notice.respond_by")} ${moment(new Date(n.respond_by))}` : ""}`,
      }))),
      entry !== null ? h("p", { class: "receipt", text: t("receipt", { n: entry }) }) : null,
    );
    emit("toast", `${t("notify.sent", { id: feature.id })} ${entry !== null ? t("receipt", { n: entry }) : ""}`, "ok");
    showDraft(null);
    checked = null;
    $("#n-send").disabled = true;
    $("#n-id").value = "";
    emit("refresh-features");
    await loadNotices();
  } catch (error) {
    result.append(h("p", { class: "error", role: "alert", text: error instanceof InputProblem ? error.message : describe(error) }));
  }
}

