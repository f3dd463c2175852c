// Times as the line writes them: UTC first (a date-time group, then ISO 8601), local beside.

import { language, t } from "./i18n.js";

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const pad = (n, width = 2) => String(n).padStart(width, "0");

/** A date-time group in UTC, e.g. 062200ZSEP27. */
export function dtg(date) {
  return (
    pad(date.getUTCDate()) + pad(date.getUTCHours()) + pad(date.getUTCMinutes()) + "Z" +
    MONTHS[date.getUTCMonth()] + pad(date.getUTCFullYear() % 100)
  );
}

/** A day in UTC as the line writes dates, e.g. 31 DEC 26. */
export function utcDate(date) {
  return `${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${pad(date.getUTCFullYear() % 100)}`;
}

/** The time of day in UTC, e.g. 06:00 (no zone letter). */
export function clockTime(date) {
  return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}

/** ISO 8601 in UTC to the minute, e.g. 2027-09-06T22:00Z. */
export function isoMinute(date) {
  return date.toISOString().slice(0, 16) + "Z";
}

/** The same moment on this computer's clock, with its zone. */
export function localTime(date, withDay = true) {
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" };
  if (withDay) Object.assign(options, { day: "2-digit", month: "short" });
  return new Intl.DateTimeFormat(`${language()}-u-nu-latn`, options).format(date);
}

/** "062200ZSEP27 · 2027-09-06T22:00Z · local 7 Sep 01:00 GMT+3" */
export function moment(date) {
  return `${dtg(date)} · ${isoMinute(date)} · ${t("local")} ${localTime(date)}`;
}

export function parseTime(text) {
  return text ? new Date(text) : null;
}

/** A window as DTGs: "062200ZSEP27 – 070300ZSEP27" ("UFN" when open-ended). */
export function span(start, end) {
  return `${dtg(start)} – ${end ? dtg(end) : t("ufn")}`;
}

/** Time left until `due` (or past it): {text, overdue}. */
export function countdown(due, now) {
  const ms = due - now;
  const overdue = ms < 0;
  return { overdue, text: overdue ? t("countdown.overdue", { t: duration(-ms) }) : t("countdown.left", { t: duration(ms) }) };
}

export function duration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}:${pad(s % 60)}`;
  const h = Math.floor(s / 3600);
  if (h < 48) return `${h} ${t("unit.h")} ${pad(Math.floor((s % 3600) / 60))} ${t("unit.min")}`;
  return `${Math.floor(h / 24)} ${t("unit.d")} ${h % 24} ${t("unit.h")}`;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
