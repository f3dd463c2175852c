// The declare form read into a GeoJSON Feature in the plan format (a zone or an activity):
// positions and times read by the server as people type them, levels sent as typed (SFC, FL195,
// 1500 ft AGL), a repeat schedule; a stored feature put back into it to be amended; and every
// problem, the form's own or the server's, shown beside the field it names.

import { ApiError, describe, get, query, sayItem } from "./api.js";
import { $, $$, h } from "./dom.js";
import { t } from "./i18n.js";
import { formatLevel } from "./levels.js";
import { scheduleText } from "./schedule.js";
import { serverNow, state } from "./state.js";
import { dtg } from "./time.js";

/** A problem the form finds itself, before asking the server. */
export class InputProblem extends Error {}

export const shapeKind = () => $('#notify input[name="shape"]:checked').value;
export const declaredKind = () => $('#notify input[name="kind"]:checked').value;

/**
 * The form as {feature, understood}: what will be sent, and how the server read what was typed.
 * An amendment (`amending`: {id, kept}) keeps its id and the properties the form does not show.
 */
export async function readForm(amending = null) {
  clearProblems();
  const form = new Reading();
  const kind = declaredKind();
  const properties = { ...(amending?.kept ?? {}), kind };
  if (kind === "activity") properties.activity = $("#n-activity").value;
  else properties.share = $("#n-share").value;
  const geometry = await SHAPES[shapeKind()](form, properties);
  const buffer = await form.read($("#n-buffer"), async () => metres($("#n-buffer"), false));
  if (buffer) properties.buffer_m = buffer;
  await readTimes(form, properties);
  const repeat = await readRepeat(form);
  if (repeat) properties.repeat = repeat;
  const altitude = levels();
  if (altitude) properties.altitude = altitude;
  const name = $("#n-name").value.trim();
  if (name) properties.name = name;
  if (form.problems.length) {
    form.problems[0].focus();
    throw new InputProblem(t("notify.fix"));
  }
  const repeats = scheduleText(properties);
  if (repeats) form.understood.push(`${t("popup.repeat")}: ${repeats}`);
  const id = amending?.id ?? ($("#n-id").value.trim() || madeId(properties));
  return { feature: { type: "Feature", id, geometry, properties }, understood: form.understood };
}

// What was read so far, and the controls that need fixing.
class Reading {
  problems = [];
  understood = [];

  /** `work()`'s value, or null with its problem shown beside `input`. */
  async read(input, work) {
    try {
      return await work();
    } catch (error) {
      this.problems.push(fieldError(input, error instanceof InputProblem ? error.message : describe(error)));
      return null;
    }
  }

  /** A Point from a typed position, or null. */
  async point(input, readAs) {
    const at = await this.read(input, () => position(input.value));
    if (!at) return null;
    this.understood.push(`${t(readAs)}: ${at.dms} · ${at.mgrs}`);
    return { type: "Point", coordinates: [at.lon_deg, at.lat_deg] };
  }

  /** [lon, lat] of the typed points (between `least` and `most` of them), or null. */
  async path(least, most = Infinity) {
    const input = $("#n-points");
    const points = await this.read(input, () => positions(input.value, least, most));
    if (!points) return null;
    this.understood.push(...points.map((p, i) => `${i + 1}: ${p.dms} · ${p.mgrs}`));
    return points.map((p) => [p.lon_deg, p.lat_deg]);
  }

  async line(least, most = Infinity) {
    const coordinates = await this.path(least, most);
    return coordinates && { type: "LineString", coordinates };
  }
}

// Each shape's geometry, its measures put into `properties`.
const SHAPES = {
  async circle(form, properties) {
    properties.radius_m = await form.read($("#n-radius"), async () => metres($("#n-radius"), true));
    return form.point($("#n-centre"), "notify.centre_read");
  },
  async corridor(form, properties) {
    properties.half_width_m = await form.read($("#n-half-width"), async () => metres($("#n-half-width"), true));
    return form.line(2);
  },
  async polygon(form) {
    const coordinates = await form.path(3);
    return coordinates && { type: "Polygon", coordinates: [[...coordinates, coordinates[0]]] };
  },
  async sector(form, properties) {
    const origin = await form.point($("#n-centre"), "notify.origin_read");
    properties.sector = {
      outer_m: await form.read($("#n-outer"), async () => metres($("#n-outer"), true)),
      inner_m: (await form.read($("#n-inner"), async () => metres($("#n-inner"), false))) ?? 0,
      from_deg: await form.read($("#n-from"), async () => bearing($("#n-from"), 0)),
      to_deg: await form.read($("#n-to"), async () => bearing($("#n-to"), 360)),
    };
    return origin;
  },
  async orbit(form, properties) {
    properties.orbit = {
      width_m: await form.read($("#n-orbit-width"), async () => metres($("#n-orbit-width"), true)),
      side: $("#n-orbit-side").value,
    };
    return form.line(2, 2);
  },
  async track(form, properties) {
    properties.track = {
      left_m: (await form.read($("#n-left"), async () => metres($("#n-left"), false))) ?? 0,
      right_m: (await form.read($("#n-right"), async () => metres($("#n-right"), false))) ?? 0,
    };
    return form.line(2);
  },
};

async function readTimes(form, properties) {
  const start = await form.read($("#n-start"), () => when($("#n-start"), "notify.need_time"));
  const end = await form.read($("#n-end"), () => when($("#n-end")));
  const respondBy = await form.read($("#n-respond-by"), () => when($("#n-respond-by")));
  if (start) {
    properties.start = start.iso;
    form.understood.push(`${t("notify.start_read")}: ${start.dtg} (${start.iso})`);
  }
  properties.end = end ? end.iso : null;
  if (end) form.understood.push(`${t("notify.end_read")}: ${end.dtg} (${end.iso})`);
  if (respondBy) properties.respond_by = respondBy.iso;
}

/** The repeat block as the plan's `repeat` ({every, interval, on, until}), or null. */
async function readRepeat(form) {
  const every = $("#n-repeat").value;
  if (every === "none") return null;
  const repeat = { every };
  if (every === "hours") repeat.interval = await form.read($("#n-every-hours"), async () => hours($("#n-every-hours")));
  if (every === "week") repeat.on = await form.read($("#n-days"), async () => weekdays());
  if ($("#n-ufn").checked) {
    repeat.until = "UFN";
  } else {
    const until = await form.read($("#n-until"), () => when($("#n-until"), "notify.need_until"));
    if (until) repeat.until = until.iso;
  }
  return repeat;
}

// Levels go as typed; the server reads them (and says what it cannot read, beside the field).
function levels() {
  const lower = $("#n-lower").value.trim();
  const upper = $("#n-upper").value.trim();
  if (!lower && !upper) return null;
  return { ...(lower && { lower }), ...(upper && { upper }) };
}

async function position(text) {
  if (!text.trim()) throw new InputProblem(t("notify.need_position"));
  return get(query("/v1/position", { text: text.trim() }));
}

async function positions(text, least, most) {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  if (lines.length < least) throw new InputProblem(t("notify.need_points", { n: least }));
  if (lines.length > most) throw new InputProblem(t("notify.orbit_two"));
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

function bearing(input, fallback) {
  const text = input.value.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 360) throw new InputProblem(t("notify.need_bearing"));
  return value;
}

function hours(input) {
  const value = Number(input.value.trim());
  if (!Number.isInteger(value) || value < 1 || value > 366) throw new InputProblem(t("notify.need_hours"));
  return value;
}

function weekdays() {
  const days = $$('#n-days input[name="repeat_on"]:checked').map((box) => box.value);
  if (!days.length) throw new InputProblem(t("notify.need_days"));
  return days;
}

/** The time typed in `input` as read by the server, or null when empty (unless `needed` names why not). */
async function when(input, needed = null) {
  const text = input.value.trim();
  if (!text) {
    if (needed) throw new InputProblem(t(needed));
    return null;
  }
  return get(query("/v1/time", { text }));
}

function madeId(properties) {
  const bytes = new Uint8Array(2);
  crypto.getRandomValues(bytes);
  const suffix = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const at = properties.start ? dtg(new Date(properties.start)).toLowerCase() : "now";
  return `${properties.activity ?? properties.kind}-${at}-${suffix}`;
}

// The properties the form reads; any other a stored feature has (a site's category, its contact)
// is kept as it is when the feature is amended. The line's bookkeeping is left out.
const READ = new Set([
  "kind", "party", "activity", "share", "name", "start", "end", "respond_by", "repeat", "altitude",
  "buffer_m", "radius_m", "half_width_m", "sector", "orbit", "track",
]);
const BOOKKEEPING = new Set(["version", "cancelled_at", "closed_at", "outline"]);

/** Put a stored feature into the form to be amended; returns the properties it keeps unshown. */
export function fillFromFeature(feature) {
  const form = $("#notify");
  form.reset();
  const p = feature.properties;
  const set = (selector, value) => { $(selector).value = value === null || value === undefined ? "" : String(value); };
  const check = (name, value) => { $(`#notify input[name="${name}"][value="${value}"]`).checked = true; };
  check("kind", p.kind === "zone" ? "zone" : "activity");
  if (p.activity) set("#n-activity", p.activity);
  set("#n-share", p.share === "contact" ? "contact" : "shape");
  const shape = storedShape(feature);
  check("shape", shape);
  const points = geometryPoints(feature.geometry);
  if (shape === "circle" || shape === "sector") set("#n-centre", points[0] ?? "");
  else set("#n-points", points.join("\n"));
  set("#n-radius", p.radius_m);
  set("#n-half-width", p.half_width_m);
  if (p.sector) {
    set("#n-outer", p.sector.outer_m);
    set("#n-inner", p.sector.inner_m ?? 0);
    set("#n-from", p.sector.from_deg ?? 0);
    set("#n-to", p.sector.to_deg ?? 360);
  }
  if (p.orbit) {
    set("#n-orbit-width", p.orbit.width_m);
    set("#n-orbit-side", p.orbit.side || "centre");
  }
  if (p.track) {
    set("#n-left", p.track.left_m ?? 0);
    set("#n-right", p.track.right_m ?? 0);
  }
  set("#n-buffer", p.buffer_m ?? 0);
  set("#n-start", p.start);
  set("#n-end", p.end);
  fillRepeat(p.repeat);
  const [lower, upper] = typedBand(p.altitude);
  set("#n-lower", lower);
  set("#n-upper", upper);
  set("#n-id", feature.id);
  set("#n-name", p.name);
  set("#n-respond-by", standingDeadline(feature));
  return Object.fromEntries(Object.entries(p).filter(([key]) => !READ.has(key) && !BOOKKEEPING.has(key)));
}

// The line keeps a feature's respond-by with the notices it sent, not in the feature: the deadline
// its current version's notices carry (the earliest, if they differ), while it is still ahead. One
// that has passed is left out, so the amendment's notices get a fresh deadline from the line.
function standingDeadline(feature) {
  const now = serverNow().getTime();
  const due = Array.from(state.sent.values())
    .filter((n) => n.feature === feature.id && n.version === feature.properties.version && n.respond_by)
    .map((n) => n.respond_by)
    .filter((text) => Date.parse(text) > now)
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  return due[0] ?? null;
}

function storedShape(feature) {
  const p = feature.properties;
  if (p.sector) return "sector";
  if (p.orbit) return "orbit";
  if (p.track) return "track";
  if (feature.geometry.type === "Point") return "circle";
  if (feature.geometry.type === "LineString") return "corridor";
  return "polygon";
}

// Positions as typed in decimal degrees (latitude first), as precise as stored. A polygon gives its
// outer ring without the closing point (a MultiPolygon its first part's).
function geometryPoints(geometry) {
  const at = ([lon, lat]) => `${lat}, ${lon}`;
  if (geometry.type === "Point") return [at(geometry.coordinates)];
  if (geometry.type === "LineString") return geometry.coordinates.map(at);
  const ring = geometry.type === "Polygon" ? geometry.coordinates[0] : geometry.coordinates[0][0];
  return ring.slice(0, -1).map(at);
}

function fillRepeat(repeat) {
  $("#n-repeat").value = repeat?.every ?? "none";
  if (!repeat) return;
  if (repeat.interval) $("#n-every-hours").value = String(repeat.interval);
  for (const box of $$('#n-days input[name="repeat_on"]')) box.checked = (repeat.on ?? []).includes(box.value);
  $("#n-ufn").checked = repeat.until === "UFN";
  $("#n-until").value = repeat.until && repeat.until !== "UFN" ? repeat.until : "";
}

// A stored band ({lower_m, upper_m, datum, upper_datum}) as levels the server reads back exactly.
function typedBand(altitude) {
  if (!altitude) return ["", ""];
  const level = (metres, datum) => {
    if (metres === null || metres === undefined) return "UNL";
    if (datum === "fl") return formatLevel(metres, "fl");
    if (datum === "agl" && metres === 0) return "SFC";
    return `${metres} m ${(datum || "msl").toUpperCase()}`;
  };
  const lower = altitude.lower_m === null || altitude.lower_m === undefined ? "" : level(altitude.lower_m, altitude.datum);
  return [lower, level(altitude.upper_m, altitude.upper_datum || altitude.datum)];
}

// Where the server's field names point in the form (the first part decides for nested names).
const FIELD_INPUTS = {
  id: "#n-id",
  name: "#n-name",
  activity: "#n-activity",
  kind: "#n-kind",
  share: "#n-share",
  start: "#n-start",
  end: "#n-end",
  respond_by: "#n-respond-by",
  buffer_m: "#n-buffer",
  radius_m: "#n-radius",
  half_width_m: "#n-half-width",
  sector: "#n-outer",
  "sector.outer_m": "#n-outer",
  "sector.inner_m": "#n-inner",
  "sector.from_deg": "#n-from",
  "sector.to_deg": "#n-to",
  orbit: "#n-orbit-width",
  "orbit.side": "#n-orbit-side",
  track: "#n-left",
  "track.right_m": "#n-right",
  altitude: "#n-lower",
  "altitude.upper": "#n-upper",
  "altitude.upper_m": "#n-upper",
  "altitude.upper_datum": "#n-upper",
  repeat: "#n-repeat",
  "repeat.interval": "#n-every-hours",
  "repeat.on": "#n-days",
  "repeat.until": "#n-until",
};

function inputFor(field) {
  const name = String(field ?? "").replace(/^properties\./, "");
  if (name === "geometry" || name.startsWith("geometry.")) return $(["circle", "sector"].includes(shapeKind()) ? "#n-centre" : "#n-points");
  const selector = FIELD_INPUTS[name] ?? FIELD_INPUTS[name.split(".")[0]];
  return selector ? $(selector) : null;
}

/**
 * Put the server's problems (problem+json) beside the fields they name and focus the first.
 * Returns the problems no field was found for; null when the error named no field at all.
 */
export function placeProblems(error) {
  const problem = error instanceof ApiError ? error.problem : {};
  const items = problem.errors?.length ? problem.errors : problem.field ? [problem] : [];
  const placed = [];
  const unplaced = [];
  for (const item of items) {
    const input = inputFor(item.field);
    if (input) placed.push(fieldError(input, sayItem(item)));
    else unplaced.push(item);
  }
  if (!placed.length) return null;
  placed[0].focus();
  return unplaced;
}

/** Mark `control` invalid with `message` beside it; returns what to focus. */
function fieldError(control, message) {
  control.setAttribute("aria-invalid", "true");
  const id = `${control.id}-error`;
  const known = document.getElementById(id);
  if (known) known.textContent += ` ${message}`;
  else control.after(h("p", { class: "field-error", id, text: message }));
  control.setAttribute("aria-describedby", id);
  return control.matches("fieldset") ? $("input", control) : control;
}

export function clearProblems() {
  for (const field of $$("#notify [aria-invalid]")) field.removeAttribute("aria-invalid");
  for (const note of $$("#notify .field-error")) note.remove();
}
