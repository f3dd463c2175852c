// The inbox (notices addressed to us) and the sent list (notices we sent): countdowns to
// respond-by, overdue first in red, the response buttons and each notice's thread. A notice
// about a feature that has ended leaves the inbox (the sender's list keeps it, as the server does).

import { describe, get, post } from "./api.js";
import { $, $$, h } from "./dom.js";
import { dropDraft, fillForm, formValues, loadDraft, saveDraft } from "./drafts.js";
import { ended } from "./expiry.js";
import { bidi, distance, isolate, language, t } from "./i18n.js";
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

// Each notice keeps its element for as long as it is listed: a change redraws only what it
// shows, never its buttons or forms, so a click in flight lands and a half-typed answer stays
// where it is, focus and caret included.
function renderList(list, notices, box) {
  const existing = new Map($$(":scope > li", list).map((li) => [Number(li.dataset.notice), li]));
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  const caret = focused?.selectionStart != null ? [focused.selectionStart, focused.selectionEnd] : null;
  const items = notices.map((notice) => {
    const item = existing.get(notice.id) ?? h("li", { dataset: { notice: notice.id } }, card(notice, box));
    update(item, notice, box);
    return item;
  });
  place(list, items);
  if (focused?.isConnected && document.activeElement !== focused) {
    focused.focus({ preventScroll: true });
    if (caret) focused.setSelectionRange(...caret);
  }
}

// `items` in this order, moving only those out of place (a moved element loses focus).
function place(list, items) {
  for (const [i, item] of items.entries()) {
    if (list.children[i] !== item) list.insertBefore(item, list.children[i] ?? null);
  }
  while (list.children.length > items.length) list.lastElementChild.remove();
}

function card(notice, box) {
  const article = h("article", { class: "notice", tabindex: "-1", "aria-labelledby": `${box}-${notice.id}-title` },
    h("div", { class: "notice-body" }),
    h("div", { class: "notice-actions" }, h("div", { class: "actions" })),
    h("div", { class: "notice-thread" }));
  if (box === "inbox" && STATE_RANK[notice.state] < STATE_RANK.read) {
    const markRead = () => {
      article.removeEventListener("pointerenter", markRead);
      article.removeEventListener("focusin", markRead);
      if (STATE_RANK[state.inbox.get(notice.id)?.state] < STATE_RANK.read) read(notice.id);
    };
    article.addEventListener("pointerenter", markRead);
    article.addEventListener("focusin", markRead);
  }
  return article;
}

// Draw what changed in a notice's card: its facts and thread, and its buttons when the set of
// answers offered changes (the forms still offered are kept as they are). The thread comes
// after the buttons, so a message arriving never moves a button from under the pointer.
function update(item, notice, box) {
  const signature = JSON.stringify([notice.state, notice.response, notice.overdue, notice.thread.length, state.receipts.get(notice.id)]);
  if (item.dataset.signature === signature) return;
  item.dataset.signature = signature;
  const article = $("article", item);
  Object.assign(article.dataset, { notice: notice.id, feature: notice.feature || "", state: notice.state, response: notice.response || "", priority: String(notice.priority) });
  $(".notice-body", article).replaceChildren(...body(notice, box));
  $(".notice-thread", article).replaceChildren(thread(notice));
  const offered = answers(notice, box);
  const bar = $(".notice-actions > .actions", article);
  if (bar.dataset.offered === offered.join(" ")) return;
  bar.dataset.offered = offered.join(" ");
  actions(article, notice, box, offered);
}

function body(notice, box) {
  const inbox = box === "inbox";
  const other = inbox ? notice.sender : notice.recipient;
  const title = h("h3", { id: `${box}-${notice.id}-title`, class: "title" },
    h("span", { class: "nid", text: `#${notice.id}` }),
    h("span", { class: "party" }, `${inbox ? t("notice.from") : t("notice.to")} `, h("bdi", { translate: "no", text: partyName(other) })),
    notice.priority ? h("span", { class: "badge conflict", text: t("notice.conflict") }) : null,
    h("span", { class: `badge state-${notice.response || notice.state}`, text: stateLabel(notice) }));
  const clock = notice.respond_by && !notice.response
    ? h("p", { class: "countdown", dataset: { due: notice.respond_by } })
    : null;
  const receipt = state.receipts.get(notice.id);
  return [title, clock, details(notice), conflicts(notice),
    receipt !== undefined ? h("p", { class: "receipt", text: t("receipt", { n: receipt }) }) : null].filter(Boolean);
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
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", { text: k }), h("dd", {}, h("bdi", { dir: "ltr", translate: "no", text: v }))]));
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
  if (c.shape_withheld) return t("conflict.withheld", { party: bidi(partyName(c.party)), contact: bidi(c.contact || "—") });
  const window = span(parseTime(c.start), parseTime(c.end));
  const where = c.distance_m === 0 ? t("conflict.inside") : t("conflict.apart", { distance: distance(c.distance_m) });
  // `party` owns one of the two features; which one depends on who the view was made for.
  const theirs = ownerOf(c.feature) === c.party && ownerOf(c.against) !== c.party ? c.feature : c.against;
  const other = theirs === c.against ? c.feature : c.against;
  const [a, b] = [bidi(other), bidi(theirs)];
  if (c.party === state.session.party) return t("conflict.yours", { a, b, where, window: isolate(window) });
  return t("conflict.with", { a, b, party: bidi(partyName(c.party)), where, window: isolate(window) });
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

// Each message in the console's language, rendered by the line from its code and params (a
// view stored before the line sent every language falls back to the reader's). What a party
// typed stays as typed, marked as not translated; times, names and typed text are isolated
// so they keep their own direction inside right-to-left text.
function thread(notice) {
  return h("ol", { class: "thread" }, notice.thread.map((m) => {
    const said = m.texts?.[language()];
    return h("li", { class: `message code-${m.code}`, dataset: { code: m.code } },
      h("bdi", { class: "at", dir: "ltr", translate: "no", text: dtg(parseTime(m.at)), title: moment(parseTime(m.at)) }),
      h("bdi", { class: "by", translate: "no", text: partyName(m.sender) }),
      h("span", { class: "text", dir: said ? null : "auto" }, kept(said ?? m.text, m.params)),
      typed(m));
  }));
}

// Parameters the line words in each language itself; the others (parties, features, times)
// are names and notation, kept as they are and isolated inside the sentence.
const WORDED = new Set(["activity", "reason", "text", "count", "distance_km", "widened_m"]);

function kept(text, params) {
  const values = new Set();
  for (const [name, value] of Object.entries(params || {})) {
    if (WORDED.has(name) || typeof value !== "string" || value.length < 2) continue;
    values.add(value);
    const versioned = /^(.+) v\d+$/.exec(value); // a notice named by its feature and version
    if (versioned) values.add(versioned[1]);
  }
  if (!values.size) return [text];
  const escaped = [...values].sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const parts = [];
  let last = 0;
  for (const found of text.matchAll(new RegExp(escaped.join("|"), "g"))) {
    parts.push(text.slice(last, found.index), h("bdi", { translate: "no", text: found[0] }));
    last = found.index + found[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

function typed(m) {
  if (m.as_typed) {
    return h("span", { class: "free" },
      h("span", { class: "untranslated", text: t("thread.not_translated") }), " ",
      h("bdi", { class: "typed", dir: "auto", translate: "no", text: m.as_typed }));
  }
  return m.free_text ? h("bdi", { class: "free", dir: "auto", translate: "no", text: m.free_text }) : null;
}

// The answers a notice offers now: Show on map, while it awaits ours Acknowledge, Object and Ask,
// and always Reply and Export evidence.
function answers(notice, box) {
  return [
    notice.feature ? "show" : null,
    ...(box === "inbox" && awaiting(notice) ? ["acknowledge", "objection", "clarification"] : []),
    "reply",
    "evidence",
  ].filter(Boolean);
}

const BUTTONS = {
  show: { class: "ghost", act: "show", text: "notice.show" },
  acknowledge: { class: "ok", act: "acknowledge", text: "act.acknowledge" },
  objection: { class: "danger", act: "object", text: "act.object" },
  clarification: { class: "warn", act: "clarify", text: "act.clarify" },
  reply: { class: "ghost", act: "reply", text: "act.reply" },
  evidence: { class: "ghost", act: "evidence", text: "act.evidence" },
};
const FORMS = new Set(["objection", "clarification", "reply"]);

function actions(article, notice, box, offered) {
  const id = notice.id;
  const latest = () => (box === "inbox" ? state.inbox : state.sent).get(id);
  const holder = $(".notice-actions", article);
  const kept = new Map($$("form.respond", holder).map((form) => [form.dataset.kind, form]));
  const forms = offered.filter((kind) => FORMS.has(kind)).map((kind) => kept.get(kind) ?? respondForm(id, kind));
  for (const [kind, form] of kept) {
    if (!offered.includes(kind)) {
      form.remove();
      dropDraft(draftName(id, kind));
    }
  }
  const bar = $(".actions", holder);
  bar.replaceChildren(...offered.map((kind) => {
    const spec = BUTTONS[kind];
    const form = forms.find((f) => f.dataset.kind === kind);
    const onclick = kind === "show" ? () => emit("focus-notice", latest())
      : kind === "acknowledge" ? () => respond(latest(), { response: "acknowledged" })
        : kind === "evidence" ? () => exportEvidence(id)
          : (e) => toggle(form, e.currentTarget);
    return h("button", {
      type: "button", class: spec.class, dataset: { act: spec.act }, text: t(spec.text), onclick,
      "aria-expanded": form ? String(!form.hidden) : null,
    });
  }));
  holder.append(...forms.filter((form) => form.parentNode !== holder));
}

const draftName = (id, kind) => `notice.${id}.${kind}`;

function toggle(form, button) {
  form.hidden = !form.hidden;
  button.setAttribute("aria-expanded", String(!form.hidden));
  keep(form);
  if (!form.hidden) $("select, textarea", form)?.focus();
}

// The form's draft as it is now: kept while it is open or holds text, dropped otherwise.
function keep(form) {
  const values = formValues(form);
  const name = draftName(form.dataset.notice, form.dataset.kind);
  if (form.hidden && !Object.values(values).some(Boolean)) dropDraft(name);
  else saveDraft(name, { open: !form.hidden, values });
}

function close(form) {
  form.reset();
  form.hidden = true;
  dropDraft(draftName(form.dataset.notice, form.dataset.kind));
  // A live update may have taken the form out of its card already (the notice was answered).
  form.closest(".notice-actions")?.querySelector(`[data-act="${BUTTONS[form.dataset.kind].act}"]`)
    ?.setAttribute("aria-expanded", "false");
}

function respondForm(noticeId, kind) {
  const id = `f-${kind}-${noticeId}`;
  const form = h("form", { class: "respond", hidden: true, dataset: { kind, notice: noticeId } });
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
    h("button", { type: "button", class: "ghost", text: t("act.cancel"), onclick: () => close(form) })));
  const draft = loadDraft(draftName(noticeId, kind));
  if (draft) {
    fillForm(form, draft.values);
    form.hidden = !draft.open;
  }
  form.addEventListener("input", () => keep(form));
  form.addEventListener("change", () => keep(form));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const notice = state.inbox.get(noticeId) ?? state.sent.get(noticeId);
    const text = form.elements.text.value.trim() || undefined;
    if (kind === "reply") {
      if (text) reply(notice, text, form);
      return;
    }
    if (kind === "objection" && !form.elements.reason.value) {
      form.elements.reason.setAttribute("aria-invalid", "true");
      form.elements.reason.focus();
      return;
    }
    respond(notice, { response: kind, reason: kind === "objection" ? form.elements.reason.value : undefined, text }, form);
  });
  return form;
}

async function respond(notice, body, form = null) {
  await write(notice, `/v1/notices/${notice.id}/responses`, body, t(`done.${body.response}`, { n: notice.id }), form);
}

async function reply(notice, text, form) {
  await write(notice, `/v1/notices/${notice.id}/replies`, { text }, t("done.reply", { n: notice.id }), form);
}

// Send an answer; once the line has it, its form is emptied and its draft dropped.
async function write(notice, path, body, done, form) {
  try {
    const answer = await post(path, body);
    if (form) close(form);
    if (answer.receipt) state.receipts.set(notice.id, answer.receipt.leaf_index);
    merge(answer.notice);
    emit("notices");
    emit("toast", answer.receipt ? `${done} ${t("receipt", { n: answer.receipt.leaf_index })}` : done, "ok");
  } catch (error) {
    emit("toast", describe(error), "error");
  }
}

// The notice's evidence for an arbiter, saved as a file (`deconflict evidence verify` checks it).
async function exportEvidence(id) {
  try {
    const evidence = await get(`/v1/notices/${id}/evidence`);
    const blob = new Blob([JSON.stringify(evidence, null, 1)], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: `notice-${id}-evidence-${state.session.party}.json`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    emit("toast", t("done.evidence", { n: id }), "ok");
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
  for (const count of $$("#inbox-count, #view-inbox-count")) {
    count.textContent = waiting.length ? String(waiting.length) : "";
    count.classList.toggle("overdue", overdue > 0);
  }
  const objections = Array.from(state.sent.values()).filter((n) => n.response === "objection").length;
  $("#sent-count").textContent = objections ? String(objections) : "";
  $("#sent-count").classList.toggle("overdue", objections > 0);
  const prefix = waiting.length ? `(${waiting.length}${overdue ? "!" : ""}) ` : "";
  document.title = `${prefix}deconflict — ${state.session.name}`;
}
