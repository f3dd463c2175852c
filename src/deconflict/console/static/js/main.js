// The console's start: sign-in or the console, then the map, the time, the inbox and the live link.

import { ApiError, api, describe, get, post } from "./api.js";
import { addBasemap } from "./basemap.js";
import { initBriefing } from "./briefing.js";
import { $, $$, h } from "./dom.js";
import { current, forget, watchEnds } from "./expiry.js";
import { applyLanguage, chooseLanguage, initialLanguage, language, t } from "./i18n.js";
import { dropEndedNotices, initInbox, loadNotices } from "./inbox.js";
import { connect, disconnect, initSound } from "./live.js";
import { createMap, fitAll, focusFeature, renderLegend, showFeatures } from "./map.js";
import { fillActivities, initNotify } from "./notify.js";
import { initProbes } from "./probes.js";
import { nearestOccurrence } from "./schedule.js";
import { emit, featureKey, keyOf, on, serverNow, state } from "./state.js";
import { dtg, localTime, parseTime } from "./time.js";
import { initTimeline, jumpTo } from "./timeline.js";
import { initViews } from "./views.js";
import { initWitnesses } from "./witnesses.js";

const FEATURE_POLL_MS = 60_000;

async function boot() {
  for (const select of $$("select.language")) {
    select.addEventListener("change", () => { chooseLanguage(select.value); });
  }
  on("language", () => { for (const select of $$("select.language")) select.value = language(); });
  let session;
  try {
    const answer = await api("GET", "/console/session");
    session = answer.data;
    const serverDate = Date.parse(answer.date || "");
    if (Number.isFinite(serverDate)) state.clockOffsetMs = serverDate - Date.now();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showSignIn();
      return;
    }
    throw error;
  }
  await start(session);
}

function showSignIn() {
  applyLanguage(initialLanguage(null));
  const failed = new URLSearchParams(location.search).get("sign-in") === "failed";
  $("#sign-in-error").hidden = !failed;
  if (failed) history.replaceState(null, "", "/");
  $("#sign-in").hidden = false;
  $("#console").hidden = true;
  $("#token").focus();
}

async function start(session) {
  state.session = session;
  for (const party of session.parties) state.parties.set(party.id, party);
  $("#sign-in").hidden = true;
  $("#console").hidden = false;
  document.body.dataset.party = session.party;
  applyLanguage(initialLanguage(session.language));
  initSkipLink();
  showWho(session);
  startClock();
  initTabs();
  initViews();
  initToasts();
  const showSound = initSound();
  const map = createMap($("#map"));
  new ResizeObserver(() => map.invalidateSize()).observe($("#map"));
  initTimeline();
  initInbox();
  initProbes();
  initNotify();
  initBriefing();
  on("language", () => {
    showWho(session);
    showSound();
    fillActivities();
    renderLegend();
  });
  on("signed-out", signedOut);
  on("refresh-features", scheduleFeatures);
  on("focus-notice", (notice) => {
    emit("show-view", "map");
    focusFeature(featureKey(notice.sender, notice.feature), conflictKeys(notice));
    const when = meetingTime(notice);
    if (when) jumpTo(when);
  });
  on("cancel-feature", cancelFeature);
  $("#sign-out").addEventListener("click", signOut);
  addBasemap(map, session).catch((error) => emit("toast", describe(error), "error"));
  await Promise.all([loadFeatures(), loadNotices()]);
  fitAll();
  connect();
  initWitnesses();
  setInterval(loadFeatures, FEATURE_POLL_MS);
  addEventListener("hashchange", openLinkedNotice);
  openLinkedNotice();
  document.body.dataset.ready = "true";
}

// A link to a notice (`#notice/42`, as an escalation's e-mail or webhook gives it) opens its card.
function openLinkedNotice() {
  const match = /^#notice\/(\d+)$/.exec(location.hash);
  if (!match) return;
  const id = Number(match[1]);
  const box = state.inbox.has(id) ? "inbox" : state.sent.has(id) ? "sent" : null;
  if (box) showNotice(id, box);
  else emit("toast", t("notice.link_unknown", { id: String(id) }), "error");
}

// Bring a notice's card into view in its list (the inbox or the sent list) and focus it.
function showNotice(id, box) {
  emit("show-view", "inbox");
  $(box === "inbox" ? "#tab-inbox" : "#tab-sent").click();
  const card = $(`#${box} [data-notice="${id}"] article`);
  card?.scrollIntoView({ block: "center" });
  card?.focus();
}

// The keys of the features a notice's conflicts name besides its own. In a notice a conflict's
// `party` owns its `feature` (the recipient's, as it is told of it) and the notice's other party
// owns `against`.
function conflictKeys(notice) {
  const otherSide = (party) => (party === notice.sender ? notice.recipient : notice.sender);
  const own = featureKey(notice.sender, notice.feature);
  return notice.conflicts
    .flatMap((c) => [c.feature && featureKey(c.party, c.feature), c.against && featureKey(otherSide(c.party), c.against)])
    .filter((key) => key && key !== own);
}

// Where a notice's conflict is next (or last) on: its next overlapping occurrence, else its window,
// else the feature's nearest occurrence.
function meetingTime(notice) {
  const now = serverNow().getTime();
  const conflict = notice.conflicts[0];
  const windows = conflict?.occurrences?.windows ?? [];
  const next = windows.find((w) => !w.end || parseTime(w.end) > now) ?? windows[windows.length - 1];
  if (next?.start) return parseTime(next.start);
  if (conflict?.start) return parseTime(conflict.start);
  const own = featureKey(notice.sender, notice.feature);
  const feature = state.features.find((f) => keyOf(f) === own);
  return feature ? new Date(nearestOccurrence(feature.properties, now).start) : null;
}

let featureTimer = null;
function scheduleFeatures() {
  clearTimeout(featureTimer);
  featureTimer = setTimeout(loadFeatures, 150);
}

let conflictPairs = []; // [mine, theirs-or-null] keys (party/id) of the features shown

/** Everything the party may see that has not ended, and the conflicts of its own (dry runs). */
async function loadFeatures() {
  try {
    const collection = await get("/v1/features");
    const features = current(collection.features);
    const pairs = await ownConflicts(features);
    state.features = features;
    conflictPairs = pairs;
    forget(collection.features, Array.from(state.inbox.values(), (n) => featureKey(n.sender, n.feature)));
    showFeatures(state.features, conflictPairs);
    emit("features");
    watchEnds(dropEnded);
  } catch (error) {
    emit("toast", describe(error), "error");
  }
}

/** Drop what has ended since the last look: from the map, the timeline and the inbox. */
function dropEnded() {
  const features = current(state.features);
  if (features.length !== state.features.length) {
    const shown = new Set(features.map(keyOf));
    state.features = features;
    conflictPairs = conflictPairs.filter(([mine, theirs]) => shown.has(mine) && (!theirs || shown.has(theirs)));
    showFeatures(state.features, conflictPairs);
    emit("features");
  }
  dropEndedNotices();
}

const MAX_CHECKED = 200;

async function ownConflicts(features) {
  const mine = features
    .filter((f) => f.properties.party === state.session.party && !f.properties.closed_at)
    .slice(0, MAX_CHECKED);
  const answers = await Promise.all(mine.map((f) => post("/v1/check", checkable(f)).catch(() => ({ conflicts: [] }))));
  return answers.flatMap((answer, i) =>
    answer.conflicts.map((c) => [keyOf(mine[i]), c.against ? featureKey(c.party, c.against) : null]));
}

// A stored feature as a check body: the plan's properties without the line's bookkeeping.
function checkable(feature) {
  const { version, share, cancelled_at, closed_at, outline, ...properties } = feature.properties;
  return { ...feature, properties };
}

async function cancelFeature(id) {
  try {
    const answer = await post(`/v1/features/${encodeURIComponent(id)}/cancel`);
    emit("toast", `${t("done.cancel", { id })} ${answer.receipt ? t("receipt", { n: answer.receipt.leaf_index }) : ""}`, "ok");
    await Promise.all([loadFeatures(), loadNotices()]);
  } catch (error) {
    emit("toast", describe(error), "error");
  }
}

// The party's name is its own, in any language; its role is said in the console's.
function showWho(session) {
  $("#who").replaceChildren(h("bdi", { translate: "no", text: session.name }), ` · ${t(`role.${session.role}`)}`);
}

function startClock() {
  const clock = $("#clock");
  const tick = () => {
    const now = new Date(Date.now() + state.clockOffsetMs);
    clock.textContent = `${dtg(now)} · ${now.toISOString().slice(11, 19)}Z · ${t("local")} ${localTime(now, false)}`;
  };
  tick();
  setInterval(tick, 1000);
}

// The skip link comes first in the page. The sign-in form held focus before the console replaced it,
// so the next Tab would start from where that form was; starting from the top puts the link first.
function initSkipLink() {
  const skip = $("#skip");
  skip.hidden = false;
  skip.addEventListener("click", (e) => {
    e.preventDefault();
    emit("show-view", "inbox");
    $("#side").focus();
  });
  document.body.tabIndex = -1;
  document.body.focus({ preventScroll: true });
  document.body.removeAttribute("tabindex");
}

function initTabs() {
  const tabs = $$('[role="tab"]');
  const select = (tab) => {
    for (const other of tabs) {
      const chosen = other === tab;
      other.setAttribute("aria-selected", String(chosen));
      other.tabIndex = chosen ? 0 : -1;
      $(`#${other.getAttribute("aria-controls")}`).hidden = !chosen;
    }
  };
  for (const [i, tab] of tabs.entries()) {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (!step) return;
      const direction = document.dir === "rtl" ? -step : step;
      const next = tabs[(i + direction + tabs.length) % tabs.length];
      select(next);
      next.focus();
    });
  }
  select(tabs[0]);
}

function initToasts() {
  on("toast", (text, kind = "info", notice = null) => {
    const toast = h("div", { class: `toast ${kind}` }, h("span", { text }));
    if (notice) {
      toast.append(h("button", {
        type: "button", class: "ghost", text: t("toast.open"),
        onclick: () => {
          showNotice(notice.id, notice.recipient === state.session.party ? "inbox" : "sent");
          toast.remove();
        },
      }));
    }
    toast.append(h("button", { type: "button", class: "ghost close", "aria-label": t("toast.close"), text: "×", onclick: () => toast.remove() }));
    $("#toasts").append(toast);
    setTimeout(() => toast.remove(), kind === "error" ? 15_000 : 8_000);
  });
}

async function signOut() {
  disconnect();
  try {
    await post("/console/sign-out");
  } finally {
    location.assign("/");
  }
}

function signedOut() {
  disconnect();
  location.assign("/");
}

boot().catch((error) => {
  document.body.append(h("p", { class: "fatal", role: "alert", text: `${t("fatal")}: ${describe(error)}` }));
});
