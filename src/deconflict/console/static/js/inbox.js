// The inbox (notices addressed to us) and the sent list (notices we sent): countdowns to
// respond-by, overdue first in red, the response buttons and each notice's thread. A notice
// about a feature that has ended leaves the inbox (the sender's list keeps it, as the server does).

import { describe, get, post } from "./api.js";
import { $, $$, append, h } from "./dom.js";
import { ended } from "./expiry.js";
import { distance, t } from "./i18n.js";
import { emit, featureKey, on, partyName, serverNow, state } from "./state.js";
import { countdown, dtg, moment, parseTime, span } from "./time.js";

export const REASONS = ["forces_present", "civilians_present", "protected_site", "insufficient_notice", "airspace_conflict", "other"];
const STATE_RANK = { sent: 0, delivered: 1, read: 2, responded: 3 };

export function initInbox() {
  on("notices", renderAll);
  on("language", () => { for (const list of ["#inbox", "#sent"]) $(list).replaceChildren(); renderAll(); });
  setInterval(tickCountdowns, 1000);
}

export async function loadNotices() {
  const [inbox, sent] = await Promise.all([get("/v1/inbox"), get("/v1/outbox")]);
  for (const notice of inbox.notices) merge(notice);
  for (const notice of sent.notices) merge(notice);
  emit("notices");
}

/**
 * Keep the newest view of a notice. Its thread only grows and its state only moves forward,
 * so an older copy (an event replayed after a fresh fetch) never overwrites a newer one.
 * Returns true when the notice is new or changed.
 */
export function merge(notice) {
  const box = notice.recipient === state.session.party ? state.inbox : notice.sender === state.session.party ? state.sent : null;
  if (!box || (box === state.inbox && ended(featureKey(notice.sender, notice.feature)))) return false;
  const known = box.get(notice.id);
  if (known && compare(notice, known) <= 0) return false;
  box.set(notice.id, notice);
  return true;
}

function compare(a, b) {
  return (
    a.thread.length - b.thread.length ||
    STATE_RANK[a.state] - STATE_RANK[b.state] ||
    Number(a.overdue) - Number(b.overdue) ||
    Number(!!a.response) - Number(!!b.response)
  );
}

/** Let go of inbox notices about features that have ended; redraw if any went. */
export function dropEndedNotices() {
  const gone = Array.from(state.inbox.values()).filter((n) => ended(featureKey(n.sender, n.feature)));
  for (const notice of gone) state.inbox.delete(notice.id);
  if (gone.length) emit("notices");
}

export const awaiting = (n) => !!n.respond_by && !n.response;
const due = (n) => parseTime(n.respond_by);
const isOverdue = (n) => awaiting(n) && (n.overdue || due(n) <= serverNow());

// Inbox: overdue first, then what awaits an answer (soonest deadline first), then the rest.
// Sent: objections and overdue first (newest first), then what awaits an answer, then the rest.
function ordered(notices, box) {
  const urgent = box === "inbox" ? isOverdue : (n) => n.response === "objection" || isOverdue(n);
  const group = (n) => (urgent(n) ? 0 : awaiting(n) ? 1 : 2);
  const soonest = (a, b) => due(a) - due(b);
  const newest = (a, b) => lastAt(b) - lastAt(a);
  return notices.slice().sort((a, b) =>
    group(a) - group(b) ||
    (group(a) === 1 || (group(a) === 0 && box === "inbox") ? soonest(a, b) : newest(a, b)) ||
    b.id - a.id);
}

const lastAt = (n) => parseTime(n.thread.length ? n.thread[n.thread.length - 1].at : n.sent_at);

function renderAll() {
  renderList($("#inbox"), ordered(Array.from(state.inbox.values()), "inbox"), "inbox");
  renderList($("#sent"), ordered(Array.from(state.sent.values()), "sent"), "sent");
  $("#inbox-empty").hidden = state.inbox.size > 0;
  $("#sent-empty").hidden = state.sent.size > 0;
  tickCountdowns();
}

// Each notice keeps its element while it is unchanged, so a half-typed objection survives updates.
function renderList(list, notices, box) {
  const existing = new Map($$(":scope > li", list).map((li) => [Number(li.dataset.notice), li]));
  const items = notices.map((notice) => {
    const signature = JSON.stringify([notice.state, notice.response, notice.overdue, notice.thread.length, state.receipts.get(notice.id)]);
    const old = existing.get(notice.id);
    if (old && old.dataset.signature === signature) return old;
    const item = h("li", { dataset: { notice: notice.id, signature } }, card(notice, box));
    if (old) keepDraft(old, item);
    return item;
  });
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  const same = items.length === list.children.length && items.every((item, i) => list.children[i] === item);
  if (!same) list.replaceChildren(...items);
  if (focused && document.activeElement !== focused) counterpart(focused, list)?.focus({ preventScroll: true });
}

// The control that took the place of `element` when its notice was drawn again (focus stays put).
function counterpart(element, list) {
  if (element.isConnected) return element;
  const notice = element.closest("li")?.dataset.notice;
  const item = notice && $(`:scope > li[data-notice="${notice}"]`, list);
  if (!item) return null;
  if (element.dataset.act) return $(`[data-act="${element.dataset.act}"]`, item);
  const form = element.closest("form.respond");
  if (form && element.name) return $(`form[data-kind="${form.dataset.kind}"] [name="${element.name}"]`, item);
  return $("article", item);
}

function keepDraft(from, to) {
  const form = $("form.respond", from);
  if (!form || form.hidden) return;
  const copy = $(`form.respond[data-kind="${form.dataset.kind}"]`, to);
  if (!copy) return;
  copy.hidden = false;
  for (const field of $$("select, textarea", form)) {
    const target = $(`[name="${field.name}"]`, copy);
    if (target) target.value = field.value;
  }
}

function card(notice, box) {
  const inbox = box === "inbox";
  const other = inbox ? notice.sender : notice.recipient;
  const article = h("article", {
    class: "notice",
    tabindex: "-1",
    dataset: { notice: notice.id, feature: notice.feature || "", state: notice.state, response: notice.response || "", priority: String(notice.priority) },
    "aria-labelledby": `${box}-${notice.id}-title`,
  });
  const title = h("h3", { id: `${box}-${notice.id}-title`, class: "title" },
    h("span", { class: "nid", text: `#${notice.id}` }),
    h("span", { class: "party", text: `${inbox ? t("notice.from") : t("notice.to")} ${partyName(other)}` }),
    notice.priority ? h("span", { class: "badge conflict", text: t("notice.conflict") }) : null,
    h("span", { class: `badge state-${notice.response || notice.state}`, text: stateLabel(notice) }));
  const clock = notice.respond_by && !notice.response
    ? h("p", { class: "countdown", dataset: { due: notice.respond_by } })
    : null;
  append(article, [title, clock, details(notice), conflicts(notice), thread(notice)]);
  const receipt = state.receipts.get(notice.id);
  if (receipt !== undefined) article.append(h("p", { class: "receipt", text: t("receipt", { n: receipt }) }));
  article.append(actions(notice, inbox));
  if (inbox && STATE_RANK[notice.state] < STATE_RANK.read) {
    const markRead = () => { article.removeEventListener("pointerenter", markRead); article.removeEventListener("focusin", markRead); read(notice.id); };
    article.addEventListener("pointerenter", markRead);
    article.addEventListener("focusin", markRead);
  }
  return article;
}

function stateLabel(notice) {
  if (notice.response) return t(`response.${notice.response}`);
  if (!notice.respond_by) return t("notice.info");
  return t(`state.${notice.state}`);
}

function details(notice) {
  const rows = [];
  if (notice.feature) rows.push([t("notice.feature"), `${notice.feature} v${notice.version}`]);
  rows.push([t("notice.sent"), moment(parseTime(notice.sent_at))]);
  if (notice.respond_by) rows.push([t("notice.respond_by"), moment(due(notice))]);
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]));
}

function conflicts(notice) {
  if (!notice.conflicts.length) return null;
  return h("ul", { class: "conflicts" }, notice.conflicts.map((c) => h("li", { text: conflictText(c) })));
}

/**
 * One conflict as the reader may know it (a withheld zone shows only its owner's contact), then,
 * when the line says so, which occurrences meet and whether differing altitude datums widened it.
 */
export function conflictText(c) {
  return [meeting(c), occurrencesText(c.occurrences), datumsText(c.altitude)].filter(Boolean).join(" · ");
}

function meeting(c) {
  if (c.shape_withheld) return t("conflict.withheld", { party: partyName(c.party), contact: c.contact || "—" });
  const window = span(parseTime(c.start), parseTime(c.end));
  const where = c.distance_m === 0 ? t("conflict.inside") : t("conflict.apart", { distance: distance(c.distance_m) });
  // `party` owns one of the two features; which one depends on who the view was made for.
  const theirs = ownerOf(c.feature) === c.party && ownerOf(c.against) !== c.party ? c.feature : c.against;
  const other = theirs === c.against ? c.feature : c.against;
  if (c.party === state.session.party) return t("conflict.yours", { a: other, b: theirs, where, window });
  return t("conflict.with", { a: other, b: theirs, party: partyName(c.party), where, window });
}

function occurrencesText(occurrences) {
  if (!occurrences?.windows?.length) return null;
  const listed = occurrences.windows.slice(0, 3).map((w) => span(parseTime(w.start), parseTime(w.end)));
  const total = occurrences.total ?? null;
  const list = listed.join(", ") + (total === null || total > listed.length ? ", …" : "");
  return total === null ? t("conflict.occurrences_ufn", { list }) : t("conflict.occurrences", { count: total, list });
}

function datumsText(altitude) {
  if (!altitude?.datums?.length) return null;
  return t("conflict.datums", {
    datums: altitude.datums.map((d) => d.toUpperCase()).join(", "),
    distance: distance(altitude.widened_m ?? 0),
  });
}

const ownerOf = (id) => state.features.find((f) => f.id === id)?.properties.party;

function thread(notice) {
  return h("ol", { class: "thread" }, notice.thread.map((m) =>
    h("li", { class: `message code-${m.code}`, dataset: { code: m.code } },
      h("span", { class: "at", text: dtg(parseTime(m.at)), title: moment(parseTime(m.at)) }),
      h("span", { class: "by", text: partyName(m.sender) }),
      h("span", { class: "text", text: m.text }),
      m.free_text ? h("span", { class: "free", text: m.free_text }) : null)));
}

function actions(notice, inbox) {
  const bar = h("div", { class: "actions" });
  if (notice.feature) {
    bar.append(h("button", { type: "button", class: "ghost", dataset: { act: "show" }, text: t("notice.show"), onclick: () => emit("focus-notice", notice) }));
  }
  const forms = [];
  if (inbox && awaiting(notice)) {
    bar.append(h("button", { type: "button", class: "ok", dataset: { act: "acknowledge" }, text: t("act.acknowledge"), onclick: () => respond(notice, { response: "acknowledged" }) }));
    const object = respondForm(notice, "objection");
    const clarify = respondForm(notice, "clarification");
    bar.append(
      h("button", { type: "button", class: "danger", dataset: { act: "object" }, text: t("act.object"), "aria-expanded": "false", onclick: (e) => toggle(object, e.target) }),
      h("button", { type: "button", class: "warn", dataset: { act: "clarify" }, text: t("act.clarify"), "aria-expanded": "false", onclick: (e) => toggle(clarify, e.target) }));
    forms.push(object, clarify);
  }
  const replyForm = respondForm(notice, "reply");
  bar.append(h("button", { type: "button", class: "ghost", dataset: { act: "reply" }, text: t("act.reply"), "aria-expanded": "false", onclick: (e) => toggle(replyForm, e.target) }));
  forms.push(replyForm);
  return h("div", { class: "notice-actions" }, bar, forms);
}

function toggle(form, button) {
  form.hidden = !form.hidden;
  button.setAttribute("aria-expanded", String(!form.hidden));
  if (!form.hidden) $("select, textarea", form)?.focus();
}

function respondForm(notice, kind) {
  const id = `f-${kind}-${notice.id}`;
  const form = h("form", { class: "respond", hidden: true, dataset: { kind } });
  if (kind === "objection") {
    form.append(h("label", { for: `${id}-reason`, text: t("act.reason") }),
      h("select", { id: `${id}-reason`, name: "reason", required: true },
        h("option", { value: "", text: t("act.reason_choose") }),
        REASONS.map((r) => h("option", { value: r, text: t(`reason.${r}`) }))));
  }
  form.append(h("label", { for: `${id}-text`, text: t(kind === "reply" ? "act.reply_text" : "act.text") }),
    h("textarea", { id: `${id}-text`, name: "text", rows: 2, maxlength: 4000, required: kind === "reply" }));
  const send = { objection: "act.send_objection", clarification: "act.send_clarification", reply: "act.send_reply" }[kind];
  form.append(h("div", { class: "actions" },
    h("button", { type: "submit", class: kind === "objection" ? "danger" : "primary", text: t(send) }),
    h("button", { type: "button", class: "ghost", text: t("act.cancel"), onclick: () => { form.hidden = true; } })));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = form.elements.text.value.trim() || undefined;
    if (kind === "reply") {
      if (text) reply(notice, text);
      return;
    }
    if (kind === "objection" && !form.elements.reason.value) {
      form.elements.reason.setAttribute("aria-invalid", "true");
      form.elements.reason.focus();
      return;
    }
    respond(notice, { response: kind, reason: kind === "objection" ? form.elements.reason.value : undefined, text });
  });
  return form;
}

async function respond(notice, body) {
  await write(notice, `/v1/notices/${notice.id}/responses`, body, t(`done.${body.response}`, { n: notice.id }));
}

async function reply(notice, text) {
  await write(notice, `/v1/notices/${notice.id}/replies`, { text }, t("done.reply", { n: notice.id }));
}

async function write(notice, path, body, done) {
  try {
    const answer = await post(path, body);
    if (answer.receipt) state.receipts.set(notice.id, answer.receipt.leaf_index);
    merge(answer.notice);
    emit("notices");
    emit("toast", answer.receipt ? `${done} ${t("receipt", { n: answer.receipt.leaf_index })}` : done, "ok");
  } catch (error) {
    emit("toast", describe(error), "error");
  }
}

async function read(id) {
  try {
    const answer = await get(`/v1/notices/${id}`);
    if (merge(answer.notice)) emit("notices");
  } catch (error) {
    emit("toast", describe(error), "error");
  }
}

let overdueSeen = "";

function tickCountdowns() {
  const now = serverNow();
  const overdueNow = [...state.inbox.values(), ...state.sent.values()].filter(isOverdue).map((n) => n.id).join(",");
  if (overdueNow !== overdueSeen) {
    overdueSeen = overdueNow;
    setTimeout(renderAll); // a deadline passed: the overdue notice moves to the top
  }
  for (const element of $$(".countdown[data-due]")) {
    const left = countdown(parseTime(element.dataset.due), now);
    element.textContent = left.text;
    element.classList.toggle("overdue", left.overdue);
    element.closest(".notice")?.classList.toggle("overdue", left.overdue);
  }
  const waiting = Array.from(state.inbox.values()).filter(awaiting);
  const overdue = waiting.filter(isOverdue).length;
  $("#inbox-count").textContent = waiting.length ? String(waiting.length) : "";
  $("#inbox-count").classList.toggle("overdue", overdue > 0);
  const objections = Array.from(state.sent.values()).filter((n) => n.response === "objection").length;
  $("#sent-count").textContent = objections ? String(objections) : "";
  $("#sent-count").classList.toggle("overdue", objections > 0);
  const prefix = waiting.length ? `(${waiting.length}${overdue ? "!" : ""}) ` : "";
  document.title = `${prefix}deconflict — ${state.session.name}`;
}
