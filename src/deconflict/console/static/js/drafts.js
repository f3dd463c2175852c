// Drafts: what is typed into a form stays in this tab's sessionStorage until it is sent, so a
// live update, a redraw or a reload never loses it. Kept per party and per form (per notice).

import { state } from "./state.js";

const key = (name) => `deconflict.draft.${state.session.party}.${name}`;

/** The draft kept under `name`, {open, values}, or null. */
export function loadDraft(name) {
  try {
    return JSON.parse(sessionStorage.getItem(key(name)));
  } catch {
    return null;
  }
}

export function saveDraft(name, draft) {
  sessionStorage.setItem(key(name), JSON.stringify(draft));
}

export function dropDraft(name) {
  sessionStorage.removeItem(key(name));
}

// A control's place in its form: its name, and for a box or a radio button also its value.
const slot = (control) => (["checkbox", "radio"].includes(control.type) ? `${control.name}=${control.value}` : control.name);
const named = (form) => Array.from(form.elements).filter((control) => control.name && control.type !== "submit");

/** Every named control of `form`: {slot: value or checked}. */
export function formValues(form) {
  return Object.fromEntries(named(form).map((control) =>
    [slot(control), ["checkbox", "radio"].includes(control.type) ? control.checked : control.value]));
}

/** Put `values` (from formValues) back into `form`; controls it does not name are left alone. */
export function fillForm(form, values) {
  for (const control of named(form)) {
    const value = values[slot(control)];
    if (value === undefined) continue;
    if (["checkbox", "radio"].includes(control.type)) control.checked = Boolean(value);
    else control.value = String(value);
  }
}
