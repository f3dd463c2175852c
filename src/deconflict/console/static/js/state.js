// What the console knows, shared by its parts, and a tiny publish/subscribe between them.

export const state = {
  session: null, // {party, name, language, role, csrf, csrf_header, tile_url, parties}
  parties: new Map(), // id -> {id, name, language}
  features: [], // GeoJSON Features the party may see whose last occurrence has not ended
  inbox: new Map(), // notice id -> notice addressed to us
  sent: new Map(), // notice id -> notice we sent
  receipts: new Map(), // notice id or feature id -> record entry number of our last write
  clockOffsetMs: 0, // server clock minus this browser's clock
};

/** A feature's key in the console: ids are per party, so the party and the id together. */
export const featureKey = (party, id) => `${party}/${id}`;

/** The key of a GeoJSON Feature from the line. */
export const keyOf = (feature) => featureKey(feature.properties.party, feature.id);

const topics = new Map();

export function on(topic, listener) {
  if (!topics.has(topic)) topics.set(topic, []);
  topics.get(topic).push(listener);
}

export function emit(topic, ...args) {
  for (const listener of topics.get(topic) || []) listener(...args);
}

/** The server's time now, so countdowns agree with the deadlines the server enforces. */
export function serverNow() {
  return new Date(Date.now() + state.clockOffsetMs);
}

export function partyName(id) {
  return state.parties.get(id)?.name ?? id;
}

// Red is kept for conflicts; each party gets one of these by its place in the sorted list.
const PALETTE = ["#5aa9ff", "#ffb347", "#7bd389", "#d7a6ff", "#ffe066", "#66d9e8", "#ff9ecf", "#c0c8d2"];

export function partyIndex(id) {
  const ids = Array.from(state.parties.keys()).sort();
  const index = ids.indexOf(id);
  return index < 0 ? PALETTE.length - 1 : index % PALETTE.length;
}

export function partyColour(id) {
  return PALETTE[partyIndex(id)];
}

export const CONFLICT_COLOUR = "#ff4d4f";

export function canPlan() {
  return ["planner", "admin"].includes(state.session?.role);
}
