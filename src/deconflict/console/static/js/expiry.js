// Features whose last occurrence has ended leave the console on their own as time passes, and
// the notices about them leave the inbox with them. Only the view forgets: the record keeps all.

import { hasEnded, lastEnd } from "./schedule.js";
import { keyOf, serverNow } from "./state.js";

const LONGEST_WAIT_MS = 60_000; // look again at least this often, whatever the next end
const ends = new Map(); // feature key (party/id) -> when its last occurrence ends (ms; null = never)
let timer = null;

/** The features still current at the server's time; remembers when each ends. */
export function current(features) {
  for (const feature of features) ends.set(keyOf(feature), lastEnd(feature.properties));
  const now = serverNow().getTime();
  return features.filter((feature) => !hasEnded(feature.properties, now));
}

/** True when the feature `key` is known to have ended (an unknown feature has not). */
export function ended(key) {
  const end = ends.get(key);
  return end !== undefined && end !== null && end <= serverNow().getTime();
}

/** Forget the ends of features no longer listed and no longer named by `stillNamed` keys. */
export function forget(listed, stillNamed) {
  const keep = new Set([...listed.map(keyOf), ...stillNamed]);
  for (const id of ends.keys()) if (!keep.has(id)) ends.delete(id);
}

/** Call `drop` just after the next known end (and at least every minute), again and again. */
export function watchEnds(drop) {
  clearTimeout(timer);
  const now = serverNow().getTime();
  const coming = Array.from(ends.values()).filter((end) => end !== null && end > now);
  const wait = Math.min(LONGEST_WAIT_MS, ...coming.map((end) => end - now + 50));
  timer = setTimeout(() => {
    drop();
    watchEnds(drop);
  }, wait);
}
