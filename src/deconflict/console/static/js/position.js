// A position written as the line writes it (geo/coords.py): MGRS to the metre, degrees, minutes
// and seconds to a tenth, and decimal degrees. MGRS comes from the mgrs package (proj4js).

import { forward } from "../vendor/mgrs/mgrs.esm.js";

/** MGRS to `digits` per axis, e.g. "37SDT 66561 06777"; "" outside its latitudes (80°S to 84°N). */
export function mgrsText(lat, lon, digits = 5) {
  if (lat < -80 || lat > 84) return "";
  const reference = forward([wrapLon(lon), lat], digits);
  if (digits === 0) return reference;
  const square = reference.slice(0, -2 * digits);
  const numbers = reference.slice(-2 * digits);
  return `${square} ${numbers.slice(0, digits)} ${numbers.slice(digits)}`;
}

/** Degrees, minutes and seconds to 0.1", latitude first: 33°30'00.0"N 038°38'24.0"E. */
export function dmsText(lat, lon) {
  return `${dms(lat, 2, "NS")} ${dms(wrapLon(lon), 3, "EW")}`;
}

/** Decimal degrees to 5 places (about a metre), latitude first. */
export const decimalText = (lat, lon) => `${lat.toFixed(5)}, ${wrapLon(lon).toFixed(5)}`;

/** A longitude brought into [-180, 180) from a world copy of the map. */
export function wrapLon(lon) {
  return ((((lon + 180) % 360) + 360) % 360) - 180;
}

function dms(degrees, width, hemispheres) {
  // Tenths of a second first, so 59.96" carries into the minutes rather than printing 60.0".
  const tenths = Math.round(Math.abs(degrees) * 36000);
  const whole = Math.floor(tenths / 36000);
  const minutes = Math.floor((tenths % 36000) / 600);
  const seconds = Math.floor((tenths % 600) / 10);
  const tenth = tenths % 10;
  const hemisphere = degrees < 0 && tenths ? hemispheres[1] : hemispheres[0];
  const pad = (n, w) => String(n).padStart(w, "0");
  return `${pad(whole, width)}°${pad(minutes, 2)}'${pad(seconds, 2)}.${tenth}"${hemisphere}`;
}
