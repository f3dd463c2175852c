// Altitude levels as a pilot reads them, the datum always shown, written exactly as the server's
// format_level (rules/altitude.py) writes them: FL195, SFC, UNL, 3,000 FT MSL (914 m).

const FEET_M = 0.3048;
const DATUM_LABEL = { msl: "MSL", agl: "AGL", wgs84: "WGS84" };
const GROUPED = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

// Python's round(): a half goes to the even neighbour, so both sides print the same figure.
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** One level: `metres` in `datum` (wgs84, msl, agl, fl); null metres is unlimited (UNL). */
export function formatLevel(metres, datum) {
  if (metres === null || metres === undefined) return "UNL";
  if (datum === "fl") {
    const level = roundHalfEven(metres / FEET_M / 100);
    return `FL${level < 0 ? "-" : ""}${String(Math.abs(level)).padStart(level < 0 ? 2 : 3, "0")}`;
  }
  if (datum === "agl" && metres === 0) return "SFC";
  // Whole feet are an integer there (never "-0"); the metres keep the sign of a tiny negative.
  const feet = GROUPED.format(roundHalfEven(metres / FEET_M) + 0);
  return `${feet} FT ${DATUM_LABEL[datum] ?? String(datum).toUpperCase()} (${GROUPED.format(roundHalfEven(metres))} m)`;
}

/** A band as "SFC – FL195" ("—" below when it has no lower bound), or null without a band. */
export function bandText(altitude) {
  if (!altitude) return null;
  const lower = altitude.lower_m === null || altitude.lower_m === undefined ? "—" : formatLevel(altitude.lower_m, altitude.datum);
  return `${lower} – ${formatLevel(altitude.upper_m, altitude.upper_datum || altitude.datum)}`;
}
