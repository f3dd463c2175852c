// Live events over server-sent events (the session cookie rides along), a beep for what needs
// a human, and the link state in the header. The browser resumes with Last-Event-ID by itself.

import { get } from "./api.js";
import { $ } from "./dom.js";
import { bidi, t } from "./i18n.js";
import { merge } from "./inbox.js";
import { receivedProbe } from "./probes.js";
import { emit, on, partyName, state } from "./state.js";

const KINDS = ["notice", "response", "message", "state", "escalation"];
let source = null;
let lastEventId = 0;
let retryTimer = null;

export function connect() {
  if (source) source.close();
  source = new EventSource(lastEventId ? `/v1/events?after=${lastEventId}` : "/v1/events");
  for (const kind of KINDS) source.addEventListener(kind, (event) => received(kind, event));
  source.addEventListener("probe", (event) => {
    lastEventId = Math.max(lastEventId, Number(event.lastEventId) || 0);
    if (receivedProbe(JSON.parse(event.data))) beep(true);
  });
  source.addEventListener("open", () => link("live"));
  source.addEventListener("error", () => {
    if (source.readyState !== EventSource.CLOSED) {
      link("reconnecting");
      return;
    }
    // Refused outright (signed out, or the server gone): find out which, then try again.
    link("down");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(async () => {
      try {
        await get("/console/session");
        connect();
      } catch {
        retryTimer = setTimeout(connect, 5000);
      }
    }, 2000);
  });
}

export function disconnect() {
  source?.close();
  clearTimeout(retryTimer);
}

function received(kind, event) {
  lastEventId = Math.max(lastEventId, Number(event.lastEventId) || 0);
  const notice = JSON.parse(event.data);
  if (!merge(notice)) return; // a replayed copy we already hold
  emit("notices");
  if (kind === "notice" || kind === "escalation") emit("refresh-features");
  const last = notice.thread[notice.thread.length - 1];
  const fromOthers = last && last.sender !== state.session.party;
  if (kind === "state" || (!fromOthers && kind !== "escalation")) return;
  const urgent = kind === "escalation" || notice.priority || notice.response === "objection";
  beep(urgent);
  emit("toast", announce(kind, notice), urgent ? "error" : "info", notice);
}

function announce(kind, notice) {
  const other = notice.recipient === state.session.party ? notice.sender : notice.recipient;
  const key = kind === "response" && notice.response ? `live.response.${notice.response}` : `live.${kind}`;
  return t(key, { n: notice.id, party: bidi(partyName(other)) });
}

let linkStatus = "reconnecting";
on("language", () => link(linkStatus));

function link(status) {
  linkStatus = status;
  const element = $("#link");
  element.dataset.status = status;
  element.textContent = t(`link.${status}`);
}

// WebAudio needs one user gesture before it may sound; the first click or key unlocks it.
let audio = null;
let soundOn = localStorage.getItem("deconflict.sound") !== "off";

export function initSound() {
  const button = $("#sound");
  const show = () => {
    button.setAttribute("aria-pressed", String(soundOn));
    button.textContent = t(soundOn ? "sound.on" : "sound.off");
  };
  button.addEventListener("click", () => {
    soundOn = !soundOn;
    localStorage.setItem("deconflict.sound", soundOn ? "on" : "off");
    show();
    if (soundOn) beep(false);
  });
  const unlock = () => {
    audio ??= new AudioContext();
    if (audio.state === "suspended") audio.resume();
  };
  document.addEventListener("pointerdown", unlock, { once: true });
  document.addEventListener("keydown", unlock, { once: true });
  show();
  return show;
}

export function beep(urgent) {
  document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
  if (!soundOn) return;
  try {
    audio ??= new AudioContext();
    const start = audio.currentTime + 0.01;
    for (let i = 0; i < (urgent ? 2 : 1); i++) tone(start + i * 0.25, urgent ? 880 : 660);
  } catch {
    // no audio device: the toast and the title still tell
  }
}

function tone(at, hz) {
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  oscillator.frequency.value = hz;
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start(at);
  oscillator.stop(at + 0.22);
}
