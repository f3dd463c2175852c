// When a zone or activity is on, as the line defines it (rules/schedule.py): `start`–`end` is the
// first occurrence; `repeat` brings it back every N days, every N hours, or each N weeks on the
// given weekdays at the same time of day, all in UTC, for as long as an occurrence starts before
// `until` ("UFN": until further notice). Every occurrence lasts as long as the first. Every N
// weeks counts calendar weeks (Monday to Sunday) from the first occurrence's week; a weekday of
// that week before the first occurrence is not part of it.

import { isolate, t } from "./i18n.js";
import { DAY_MS, HOUR_MS, MINUTE_MS, clockTime, utcDate } from "./time.js";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const UNIT_MS = { day: DAY_MS, week: 7 * DAY_MS, hours: HOUR_MS };

// A feature's schedule in milliseconds. `offsets` are the starts within one period, from the first.
function scheduleOf(properties) {
  const start = Date.parse(properties.start);
  const end = properties.end ? Date.parse(properties.end) : null;
  const repeat = properties.repeat;
  if (!repeat || end === null) return { start, end, repeat: null };
  const until = !repeat.until || String(repeat.until).toUpperCase() === "UFN" ? null : Date.parse(repeat.until);
  return {
    start,
    end,
    repeat,
    until,
    durationMs: end - start,
    periodMs: UNIT_MS[repeat.every] * (repeat.interval || 1),
    offsetsMs: offsets(start, repeat),
  };
}

// Monday is 0, as on the server.
const weekday = (ms) => (new Date(ms).getUTCDay() + 6) % 7;

// Weekly, the weekdays of the first occurrence's calendar week: one before it is negative.
function offsets(start, repeat) {
  if (repeat.every !== "week" || !repeat.on?.length) return [0];
  const today = weekday(start);
  const days = new Set(repeat.on.map((name) => WEEKDAYS.indexOf(name)));
  return Array.from(days, (day) => (day - today) * DAY_MS).sort((a, b) => a - b);
}

/** The occurrence {start, end} (ms; end null = open-ended) that holds the moment `atMs`, or null. */
export function occurrenceAt(properties, atMs) {
  const s = scheduleOf(properties);
  if (!s.repeat) return s.start <= atMs && (s.end === null || atMs < s.end) ? { start: s.start, end: s.end } : null;
  // Occurrences never overlap, so only the latest start at or before `atMs` of each offset can hold it.
  for (const offset of s.offsetsMs) {
    const cycle = Math.floor((atMs - s.start - offset) / s.periodMs);
    const start = s.start + cycle * s.periodMs + offset;
    if (start < s.start || (s.until !== null && start >= s.until)) continue;
    if (atMs < start + s.durationMs) return { start, end: start + s.durationMs };
  }
  return null;
}

/** The occurrences that overlap [fromMs, toMs), in order, at most `limit` of them. */
export function occurrencesBetween(properties, fromMs, toMs, limit = 500) {
  const s = scheduleOf(properties);
  if (!s.repeat) return s.start < toMs && (s.end === null || s.end > fromMs) ? [{ start: s.start, end: s.end }] : [];
  const found = [];
  for (const offset of s.offsetsMs) {
    const taken = found.length;
    let cycle = Math.max(0, Math.floor((fromMs - s.durationMs - s.start - offset) / s.periodMs));
    for (; found.length - taken < limit; cycle++) {
      const start = s.start + cycle * s.periodMs + offset;
      if (start >= toMs || (s.until !== null && start >= s.until)) break;
      if (start >= s.start && start + s.durationMs > fromMs) found.push({ start, end: start + s.durationMs });
    }
  }
  return found.sort((a, b) => a.start - b.start).slice(0, limit);
}

/** The occurrence on at `atMs`, else the next one, else the last one (for "show its time"). */
export function nearestOccurrence(properties, atMs) {
  const [next] = occurrencesBetween(properties, atMs, Infinity, 1);
  if (next) return next;
  const end = lastEnd(properties);
  const s = scheduleOf(properties);
  return s.repeat && end !== null ? { start: end - s.durationMs, end } : { start: s.start, end: s.end };
}

/** When the last occurrence ends (ms), or null when it never does (open-ended or UFN). */
export function lastEnd(properties) {
  const s = scheduleOf(properties);
  if (!s.repeat) return s.end;
  if (s.until === null) return null;
  let last = s.start;
  for (const offset of s.offsetsMs) {
    const cycle = Math.ceil((s.until - s.start - offset) / s.periodMs) - 1;
    if (cycle >= 0) last = Math.max(last, s.start + cycle * s.periodMs + offset);
  }
  return last + s.durationMs;
}

/** True once the last occurrence has ended: the feature drops off the console (never off the record). */
export function hasEnded(properties, atMs) {
  const end = lastEnd(properties);
  return end !== null && end <= atMs;
}

/**
 * The schedule in words, or null when the feature does not repeat:
 * "daily 06:00–08:00Z until 31 DEC 26", "MON WED FRI 06:00–08:00Z UFN", "every 6 h, 1 h each UFN".
 */
export function scheduleText(properties) {
  const s = scheduleOf(properties);
  if (!s.repeat) return null;
  const n = s.repeat.interval || 1;
  const time = timeOfDay(s);
  let pattern;
  if (s.repeat.every === "hours") {
    pattern = t("schedule.hours", { n, length: length(s.durationMs) });
  } else if (s.repeat.every === "day") {
    pattern = n === 1 ? t("schedule.daily", { time }) : t("schedule.days", { n, time });
  } else {
    const names = s.repeat.on?.length ? s.repeat.on : [WEEKDAYS[weekday(s.start)]];
    const days = WEEKDAYS.filter((day) => names.includes(day)).map((day) => t(`weekday.${day}`)).join(" ");
    pattern = n === 1 ? t("schedule.weekly", { days, time }) : t("schedule.weeks", { n, days, time });
  }
  return `${pattern} ${until(s.until)}`;
}

// "06:00–08:00Z" for an occurrence shorter than a day, else "06:00Z for 2 d".
function timeOfDay(s) {
  const from = new Date(s.start);
  if (s.durationMs < DAY_MS) return isolate(`${clockTime(from)}–${clockTime(new Date(s.end))}Z`);
  return t("schedule.lasting", { time: isolate(`${clockTime(from)}Z`), length: length(s.durationMs) });
}

function until(untilMs) {
  if (untilMs === null) return t("ufn");
  const date = new Date(untilMs);
  const time = untilMs % DAY_MS === 0 ? "" : ` ${clockTime(date)}Z`;
  return t("schedule.until", { date: isolate(`${utcDate(date)}${time}`) });
}

// A length of time in days, hours and minutes: "2 d 6 h", "1 h 30 min", "45 min".
function length(ms) {
  const minutes = Math.round(ms / MINUTE_MS);
  const parts = [
    [Math.floor(minutes / 1440), "unit.d"],
    [Math.floor((minutes % 1440) / 60), "unit.h"],
    [minutes % 60, "unit.min"],
  ].filter(([value]) => value > 0);
  return parts.map(([value, unit]) => `${value} ${t(unit)}`).join(" ") || `0 ${t("unit.min")}`;
}
