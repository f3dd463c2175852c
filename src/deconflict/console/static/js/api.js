// Calls to the line's HTTP API with the session cookie; writes carry the CSRF token.

import { sayProblem, sayRefusal } from "./problems.js";
import { emit, state } from "./state.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["Idempotency-Key"] = randomKey();
    if (state.session) headers[state.session.csrf_header] = state.session.csrf;
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, { code: "unreachable", params: {}, detail: String(error.message || error) });
  }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : null;
  if (!response.ok) {
    if (response.status === 401 && state.session) emit("signed-out");
    throw new ApiError(response.status, data);
  }
  return { data, date: response.headers.get("date") };
}

export const get = async (path) => (await api("GET", path)).data;
export const post = async (path, body) => (await api("POST", path, body)).data;

/** A refusal as an operator reads it, in the console's language (see problems.js). */
export function describe(error) {
  if (error instanceof ApiError) return sayRefusal(error.problem);
  return sayRefusal({ detail: String(error.message || error) });
}

// crypto.randomUUID exists only in secure contexts; a console over plain http still needs keys.
function randomKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const query = (path, params) => `${path}?${new URLSearchParams(params)}`;

/** One problem of a refusal (or one of its `errors`) in the console's language. */
export const sayItem = (item) => sayProblem(item).text;
