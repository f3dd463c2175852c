// A briefing to hand over: printing the console (or saving it as PDF) gives the map as it is
// now, a table of the features in its view with their windows and altitude bands, and the open
// notices with their deadlines, in the console's language on A4 (print CSS in console.css).
// The table is kept up to date in the page, so the browser's own Print works as well.

import { $, h } from "./dom.js";
import { addWords, bidi, t } from "./i18n.js";
import { awaiting } from "./inbox.js";
import { bandText } from "./levels.js";
import { featuresInView, onView } from "./map.js";
import { on, partyName, serverNow, state } from "./state.js";
import { dtg, moment, parseTime, span } from "./time.js";

addWords({
  en: {
    "briefing.print": "Print briefing",
    "briefing.title": "Briefing",
    "briefing.at": "As at {time}, for {party}",
    "briefing.features": "Features in the map view",
    "briefing.feature": "Feature",
    "briefing.party": "Party",
    "briefing.what": "What",
    "briefing.window": "Window (UTC)",
    "briefing.band": "Altitude",
    "briefing.none": "None.",
    "briefing.notices": "Open notices",
    "briefing.notice": "Notice",
    "briefing.between": "From → to",
    "briefing.deadline": "Respond by",
    "briefing.overdue": "overdue",
  },
  ru: {
    "briefing.print": "Печать сводки",
    "briefing.title": "Сводка",
    "briefing.at": "По состоянию на {time}, для стороны {party}",
    "briefing.features": "Объекты в видимой части карты",
    "briefing.feature": "Объект",
    "briefing.party": "Сторона",
    "briefing.what": "Что",
    "briefing.window": "Время (UTC)",
    "briefing.band": "Высота",
    "briefing.none": "Нет.",
    "briefing.notices": "Открытые уведомления",
    "briefing.notice": "Уведомление",
    "briefing.between": "От кого → кому",
    "briefing.deadline": "Ответить до",
    "briefing.overdue": "просрочено",
  },
  ar: {
    "briefing.print": "طباعة الإحاطة",
    "briefing.title": "إحاطة",
    "briefing.at": "حتى {time}، للطرف {party}",
    "briefing.features": "العناصر في منظر الخريطة",
    "briefing.feature": "العنصر",
    "briefing.party": "الطرف",
    "briefing.what": "النوع",
    "briefing.window": "الفترة (UTC)",
    "briefing.band": "الارتفاع",
    "briefing.none": "لا شيء.",
    "briefing.notices": "الإشعارات المفتوحة",
    "briefing.notice": "الإشعار",
    "briefing.between": "من ← إلى",
    "briefing.deadline": "الرد قبل",
    "briefing.overdue": "متأخر",
  },
});

export function initBriefing() {
  $("#print").addEventListener("click", () => { render(); window.print(); });
  for (const topic of ["features", "notices", "language"]) on(topic, render);
  onView(render);
  render();
}

const kept = (text) => h("bdi", { translate: "no", text });

function render() {
  const now = serverNow();
  $("#briefing").replaceChildren(
    h("h2", { text: t("briefing.title") }),
    h("p", {}, t("briefing.at", { time: bidi(dtg(now)), party: bidi(state.session.name) })),
    h("h3", { text: t("briefing.features") }),
    table("briefing-features", ["briefing.feature", "briefing.party", "briefing.what", "briefing.window", "briefing.band"],
      featuresInView().map(featureRow)),
    h("h3", { text: t("briefing.notices") }),
    table("briefing-notices", ["briefing.notice", "briefing.between", "briefing.deadline"], openNotices(now)),
  );
}

function featureRow(feature) {
  const p = feature.properties;
  const what = p.kind === "zone" ? t("kind.zone") : t(`activity.${p.activity || "other"}`);
  return { key: feature.id, cells: [kept(p.name || feature.id), kept(partyName(p.party)), what,
    kept(span(parseTime(p.start), parseTime(p.end))), kept(p.altitude ? bandText(p.altitude) : "—")] };
}

function openNotices(now) {
  const open = [...state.inbox.values(), ...state.sent.values()].filter(awaiting)
    .sort((a, b) => parseTime(a.respond_by) - parseTime(b.respond_by));
  return open.map((n) => {
    const deadline = parseTime(n.respond_by);
    const late = n.overdue || deadline <= now;
    return { key: String(n.id), cells: [
      [`#${n.id} `, n.feature ? kept(n.feature) : null],
      [kept(partyName(n.sender)), " → ", kept(partyName(n.recipient))],
      [kept(moment(deadline)), late ? ` (${t("briefing.overdue")})` : null],
    ] };
  });
}

function table(id, headings, rows) {
  if (!rows.length) return h("p", { id, text: t("briefing.none") });
  return h("table", { id },
    h("thead", {}, h("tr", {}, headings.map((key) => h("th", { scope: "col", text: t(key) })))),
    h("tbody", {}, rows.map((row) => h("tr", { dataset: { key: row.key } }, row.cells.map((cell) => h("td", {}, cell))))));
}
