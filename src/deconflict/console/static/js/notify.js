// Declare a zone or notify an activity, or amend one of the party's own: draw it or type it
// (notify-form.js reads it), see the conflicts of a dry run, then send. Sectors, orbits and tracks
// are drawn from the outline the server makes.

import { api, describe, post, sayItem } from "./api.js";
import { $, $$, h } from "./dom.js";
import { dropDraft, fillForm, formValues, loadDraft, saveDraft } from "./drafts.js";
import { startDrawing, stopDrawing, typed } from "./draw.js";
import { t } from "./i18n.js";
import { conflictText, loadNotices } from "./inbox.js";
import { showDraft } from "./map.js";
import { InputProblem, clearProblems, declaredKind, fillFromFeature, placeProblems, readForm, shapeKind } from "./notify-form.js";
import { canPlan, emit, on, partyName, state } from "./state.js";
import { moment } from "./time.js";

export const ACTIVITIES = ["strike", "drill", "flight", "convoy", "patrol", "raid", "demining", "other"];
const AIRSPACE = new Set(["sector", "orbit", "track"]);
// How each shape is drawn with the mouse: a sector as its origin and outer radius, a track as its path.
const DRAFT = "notify";
const DRAWN_AS = { circle: "circle", sector: "circle", corridor: "corridor", track: "corridor", polygon: "polygon", orbit: "orbit" };

let checked = null; // the form as it was when last checked: Send needs the same form
let amending = null; // the own feature being amended: {id, kind, version, kept}, or null

export function initNotify() {
  const form = $("#notify");
  fillActivities();
  const draft = loadDraft(DRAFT);
  if (draft) {
    fillForm(form, draft.values);
    amending = draft.amending ?? null;
  }
  for (const radio of $$('input[name="shape"]', form)) radio.addEventListener("change", showShapeFields);
  for (const radio of $$('input[name="kind"]', form)) radio.addEventListener("change", showKindFields);
  $("#n-amend-stop").addEventListener("click", clear);
  on("amend-feature", amend);
  on("language", showAmending);
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
  showAmending();
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

function showKindFields() {
  const kind = declaredKind();
  for (const field of $$("#notify [data-kind]")) field.hidden = field.dataset.kind !== kind;
  showSendLabel();
  changed();
}

// What Send does: notify an activity, declare a zone, or send the amendment of either.
function showSendLabel() {
  $("#n-send").textContent = t(amending ? "declare.send_amend" : declaredKind() === "zone" ? "declare.send_zone" : "notify.send");
}

// An amendment names its feature above the form; its kind and id stay as they are.
function showAmending() {
  $("#n-amending").hidden = !amending;
  if (amending) $("#n-amending-text").textContent = t("declare.amending", { id: amending.id, version: amending.version });
  for (const radio of $$('#notify input[name="kind"]')) radio.disabled = Boolean(amending) || !canPlan();
  $("#n-id").readOnly = Boolean(amending);
  showKindFields();
}

/** Open the form on one of the party's own features, as it stands, to amend it. */
function amend(feature) {
  stopDrawing();
  clearProblems();
  const kept = fillFromFeature(feature);
  amending = { id: feature.id, kind: feature.properties.kind, version: feature.properties.version, kept };
  checked = null;
  $("#n-send").disabled = true;
  $("#n-result").replaceChildren();
  showDraft(null);
  showShapeFields();
  showRepeatFields();
  showAmending();
  remember();
  emit("show-view", "inbox");
  $("#tab-notify").click();
  $("#n-amending-text").tabIndex = -1;
  $("#n-amending-text").focus();
}

function showRepeatFields() {
  const every = $("#n-repeat").value;
  for (const field of $$("#notify [data-repeat]")) field.hidden = !field.dataset.repeat.split(" ").includes(every);
  $("#n-until").disabled = $("#n-ufn").checked || !canPlan();
  changed();
}

// What was typed or drawn is kept as the form's draft until it is sent or cleared.
function remember() {
  if (canPlan()) saveDraft(DRAFT, { values: formValues($("#notify")), amending });
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
  amending = null;
  showAmending();
}

/** Dry run: what the feature (or the amendment) would conflict with, shown and listed; stores nothing. */
async function check() {
  const result = $("#n-result");
  result.replaceChildren(h("p", { class: "muted", text: t("notify.checking") }));
  try {
    const { feature, understood } = await readForm(amending);
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
  return [alert(t("notify.fix")), ...unplaced.map((item) => alert(sayItem(item)))];
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
    const { feature } = await readForm(amending);
    const collection = feature.properties.kind === "zone" ? "zones" : "activities";
    const answer = amending
      ? (await api("PUT", `/v1/${collection}/${encodeURIComponent(feature.id)}`, feature)).data
      : await post(`/v1/${collection}`, feature);
    const entry = answer.receipt ? answer.receipt.leaf_index : null;
    if (entry !== null) {
      state.receipts.set(feature.id, entry);
      for (const n of answer.notices) state.receipts.set(n.id, entry);
    }
    const done = amending
      ? t("declare.amended", { id: feature.id, version: answer.feature.properties.version })
      : t(feature.properties.kind === "zone" ? "declare.declared" : "notify.sent", { id: feature.id });
    result.replaceChildren(
      h("p", { class: "sent", dataset: { sent: feature.id }, text: done }),
      conflictSummary(answer.conflicts),
      h("ul", { class: "notices-sent" }, answer.notices.map((n) => h("li", {
        text: `#${n.id} → ${partyName(n.recipient)}${n.priority ? ` · ${t("notice.conflict")}` : ""}${n.respond_by ? ` · ${t("notice.respond_by")} ${moment(new Date(n.respond_by))}` : ""}`,
      }))),
      entry !== null ? h("p", { class: "receipt", text: t("receipt", { n: entry }) }) : null,
    );
    emit("toast", `${done} ${entry !== null ? t("receipt", { n: entry }) : ""}`, "ok");
    showDraft(null);
    checked = null;
    $("#n-send").disabled = true;
    $("#n-id").value = "";
    dropDraft(DRAFT);
    amending = null;
    showAmending();
    emit("refresh-features");
    await loadNotices();
  } catch (error) {
    result.append(...failure(error));
  }
}

