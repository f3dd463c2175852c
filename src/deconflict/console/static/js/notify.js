// Notify an activity: draw it or type it (notify-form.js reads it), see the conflicts of a
// dry run, then send. Sectors, orbits and tracks are drawn from the outline the server makes.

import { describe, post } from "./api.js";
import { $, $$, h } from "./dom.js";
import { dropDraft, fillForm, formValues, loadDraft, saveDraft } from "./drafts.js";
import { startDrawing, stopDrawing, typed } from "./draw.js";
import { t } from "./i18n.js";
import { conflictText, loadNotices } from "./inbox.js";
import { showDraft } from "./map.js";
import { InputProblem, clearProblems, placeProblems, readForm, shapeKind } from "./notify-form.js";
import { canPlan, emit, partyName, state } from "./state.js";
import { moment } from "./time.js";

export const ACTIVITIES = ["strike", "drill", "flight", "convoy", "patrol", "raid", "demining", "other"];
const AIRSPACE = new Set(["sector", "orbit", "track"]);
// How each shape is drawn with the mouse: a sector as its origin and outer radius, a track as its path.
const DRAFT = "notify";
const DRAWN_AS = { circle: "circle", sector: "circle", corridor: "corridor", track: "corridor", polygon: "polygon", orbit: "orbit" };

let checked = null; // the form as it was when last checked: Send needs the same form

export function initNotify() {
  const form = $("#notify");
  fillActivities();
  const draft = loadDraft(DRAFT);
  if (draft) fillForm(form, draft.values);
  for (const radio of $$('input[name="shape"]', form)) radio.addEventListener("change", showShapeFields);
  $("#n-repeat").addEventListener("change", showRepeatFields);
  $("#n-ufn").addEventListener("change", showRepeatFields);
  form.addEventListener("input", remember);
  form.addEventListener("change", remember);
  $("#draw").addEventListener("click", draw);
  $("#n-check").addEventListener("click", () => check());
  $("#n-clear").addEventListener("click", clear);
  form.addEventListener("submit", (e) => { e.preventDefault(); send(); });
  if (!canPlan()) {
    $("#notify-role").hidden = false;
    for (const control of $$("input, select, textarea, button", form)) control.disabled = true;
  }
  showShapeFields();
  showRepeatFields();
}

export function fillActivities() {
  const select = $("#n-activity");
  const chosen = select.value || "strike";
  select.replaceChildren(...ACTIVITIES.map((a) => h("option", { value: a, text: t(`activity.${a}`) })));
  select.value = chosen;
}

function showShapeFields() {
  const kind = shapeKind();
  for (const field of $$("#notify [data-for]")) field.hidden = !field.dataset.for.split(" ").includes(kind);
  changed();
}

function showRepeatFields() {
  const every = $("#n-repeat").value;
  for (const field of $$("#notify [data-repeat]")) field.hidden = !field.dataset.repeat.split(" ").includes(every);
  $("#n-until").disabled = $("#n-ufn").checked || !canPlan();
  changed();
}

// What was typed or drawn is kept as the form's draft until it is sent or cleared.
function remember() {
  if (canPlan()) saveDraft(DRAFT, { values: formValues($("#notify")) });
  changed();
}

// A form that differs from what was checked needs a new check before it can be sent.
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
  startDrawing(DRAWN_AS[kind], (result) => {
    if (!result) return;
    if (result.centre) {
      $("#n-centre").value = typed(result.centre);
      $(kind === "sector" ? "#n-outer" : "#n-radius").value = String(result.radius_m);
    } else {
      $("#n-points").value = result.points.map(typed).join("\n");
    }
    remember();
    check();
  }, hint);
}

function clear() {
  stopDrawing();
  $("#notify").reset();
  clearProblems();
  showShapeFields();
  showRepeatFields();
  showDraft(null);
  $("#n-result").replaceChildren();
  checked = null;
  $("#n-send").disabled = true;
  dropDraft(DRAFT);
}

/** Dry run: what the activity would conflict with, shown on the map and listed; stores nothing. */
async function check() {
  const result = $("#n-result");
  result.replaceChildren(h("p", { class: "muted", text: t("notify.checking") }));
  try {
    const { feature, understood } = await readForm();
    const answer = await post("/v1/check", feature);
    await withOutline(feature);
    showDraft(feature, answer.conflicts);
    result.replaceChildren(
      h("ul", { class: "understood" }, understood.map((line) => h("li", { text: line }))),
      conflictSummary(answer.conflicts),
    );
    checked = fingerprint();
    $("#n-send").disabled = !canPlan();
  } catch (error) {
    result.replaceChildren(...failure(error));
  }
}

// A sector, orbit or track on the map: the server draws its outline (geodesy stays on the server).
async function withOutline(feature) {
  if (!AIRSPACE.has(shapeKind())) return;
  const { outline } = await post("/console/outline", feature);
  feature.properties.outline = outline;
}

// What went wrong, for the result box: the form's own problem, or the server's beside its fields.
function failure(error) {
  const alert = (text) => h("p", { class: "error", role: "alert", text });
  if (error instanceof InputProblem) return [alert(error.message)];
  const unplaced = placeProblems(error);
  if (unplaced === null) return [alert(describe(error))];
  return [alert(t("notify.fix")), ...unplaced.map((item) => alert(`${item.field ?? ""}: ${item.detail}`))];
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
    const { feature } = await readForm();
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
    dropDraft(DRAFT);
    emit("refresh-features");
    await loadNotices();
  } catch (error) {
    result.append(...failure(error));
  }
}

