// The focus timer. It runs in the browser: its state lives in localStorage, so it survives
// a reload, and the server hears of a session only twice: at the start and at the end
// (with the focused seconds, pauses excluded), through the outbox.

import { errorText, postJSON } from "./api.js";
import { Outbox } from "./outbox.js";

const RING_LENGTH = 2 * Math.PI * 54; // the progress circle's radius in dashboard.html
const TICK_MS = 250;

export function formatSeconds(total) {
  const seconds = Math.max(0, Math.round(total));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${String(m).padStart(2, "0")}:${s}`;
}

/** Focused seconds so far: the closed stretches plus the open one, capped at the plan. */
export function focusedSeconds(state, now = Date.now()) {
  const open = state.runningSince === null ? 0 : Math.max(0, now - state.runningSince);
  return Math.min(state.planned * 60, Math.floor((state.focusedMs + open) / 1000));
}

export function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** What completing now would earn, when it is less than the whole session would. */
export function completeNowHint(state, { fullBonus, shortSeconds }, now = Date.now()) {
  const focused = focusedSeconds(state, now);
  if (focused >= state.planned * 60) return "";
  const minutes = Math.floor(focused / 60);
  const earned = `Completing now earns ${plural(minutes, "point")}`;
  if (focused < shortSeconds) {
    return `${earned}: under ${shortSeconds / 60} minutes it counts toward no badge.`;
  }
  return `${earned}; the whole ${state.planned} minutes earn ${state.planned + fullBonus}.`;
}

export function mountTimer(root, { playerId, running, fullBonus = 10, shortSeconds = 300, onFinished }) {
  const storageKey = `fq:timer:${playerId}`;
  const $ = (selector) => root.querySelector(selector);
  const setup = $("#timer-setup");
  const controls = $("#timer-controls");
  const left = $("#timer-left");
  const caption = $("#timer-caption");
  const ring = $(".ring-progress");
  const status = $("#timer-status");
  const outboxBox = $("#timer-outbox");
  const outboxText = $("#outbox-text");
  const custom = $("#timer-custom");
  const startButton = $("#timer-start");
  const completeHint = $("#timer-complete-hint");
  const baseTitle = document.title;
  let conflictId = null;
  let starting = false; // a flag, not `disabled`: disabling the button would drop its focus

  ring.style.strokeDasharray = `${RING_LENGTH}`;

  const outbox = new Outbox(`fq:outbox:${playerId}`, {
    send: (item) => postJSON(`/api/sessions/${item.id}/${item.kind}`, item.body),
    onDone: finished,
    onChange: renderOutbox,
  });

  function load() {
    try {
      return JSON.parse(localStorage.getItem(storageKey) || "null");
    } catch {
      return null;
    }
  }

  function save(state) {
    if (state) localStorage.setItem(storageKey, JSON.stringify(state));
    else localStorage.removeItem(storageKey);
    render();
  }

  function say(text) {
    status.textContent = text;
  }

  function chosenMinutes() {
    const choice = setup.querySelector("input[name=length]:checked")?.value;
    return choice === "custom" ? Number(custom.value) : Number(choice);
  }

  // --- actions -----------------------------------------------------------------------

  async function start(minutes) {
    if (!Number.isInteger(minutes) || minutes < Number(custom.min) || minutes > Number(custom.max)) {
      say(`Choose a length from ${custom.min} to ${custom.max} whole minutes.`);
      custom.focus();
      return;
    }
    if (starting) return;
    starting = true;
    try {
      const answer = await postJSON("/api/sessions", { planned_minutes: minutes });
      if (answer.status === 201) {
        conflictId = null;
        save({ id: answer.data.id, planned: minutes, focusedMs: 0, runningSince: Date.now() });
        say(`Focus session started: ${minutes} minutes.`);
      } else if (answer.status === 409) {
        conflictId = answer.data?.running_session_id || null;
        say("A session is already running, started on another device or tab.");
        render();
      } else {
        say(errorText(answer.data, `The session could not start (error ${answer.status}).`));
      }
    } catch {
      say("The session could not start: you seem to be offline. Try again in a moment.");
    } finally {
      starting = false;
    }
  }

  function pause() {
    const state = load();
    if (!state || state.runningSince === null) return;
    save({ ...state, focusedMs: state.focusedMs + (Date.now() - state.runningSince), runningSince: null });
    say("Paused. The paused time does not count.");
  }

  function resume() {
    const state = load();
    if (!state || state.runningSince !== null) return;
    save({ ...state, runningSince: Date.now() });
    say("Resumed.");
  }

  function finish(kind, state = load()) {
    if (!state) return;
    const body = kind === "complete" ? { focused_seconds: focusedSeconds(state) } : {};
    // Into the outbox first, then off the timer: whatever happens in between, the
    // completion is somewhere (and the outbox wins over a timer with the same id).
    outbox.add({ id: state.id, kind, body, planned: state.planned });
    save(null);
    say(kind === "complete" ? "Sending your completed session…" : "Abandoning the session…");
    outbox.flush();
  }

  function finished(item, answer) {
    if (!answer.ok) {
      say(errorText(answer.data, `The server refused the session (error ${answer.status}).`));
      return;
    }
    if (item.kind === "abandon") {
      say("Session abandoned. No points this time.");
      return;
    }
    const data = answer.data;
    const minutes = Math.floor(data.focused_seconds / 60);
    say(`Session complete: ${plural(minutes, "focused minute")}, +${plural(data.points_awarded, "point")}.`);
    onFinished({
      points_awarded: data.points_awarded,
      new_badges: data.new_badges,
      level: data.totals.level,
      points: data.totals.points,
    });
  }

  // --- rendering ---------------------------------------------------------------------

  function render() {
    const state = load();
    const active = document.activeElement;
    let remaining;
    let fraction;
    if (state) {
      const focused = focusedSeconds(state);
      remaining = state.planned * 60 - focused;
      fraction = focused / (state.planned * 60);
      caption.textContent = state.runningSince === null ? "Paused: time left" : "Focusing: time left";
      document.title = `${formatSeconds(remaining)} · ${baseTitle}`;
      completeHint.textContent = completeNowHint(state, { fullBonus, shortSeconds });
    } else {
      const minutes = chosenMinutes();
      remaining = Number.isFinite(minutes) && minutes > 0 ? minutes * 60 : 0;
      fraction = 0;
      caption.textContent = "Ready: time left";
      document.title = baseTitle;
    }
    left.textContent = formatSeconds(remaining);
    ring.style.strokeDashoffset = `${RING_LENGTH * fraction}`;
    root.dataset.state = state ? (state.runningSince === null ? "paused" : "running") : "idle";
    setup.hidden = Boolean(state);
    controls.hidden = !state;
    controls.querySelector("[data-action=pause]").hidden = !state || state.runningSince === null;
    controls.querySelector("[data-action=resume]").hidden = !state || state.runningSince !== null;
    renderConflict();
    // Keyboard users keep their place when the button they pressed disappears.
    if (active && active !== document.body && active.closest("[hidden]")) {
      const target = state
        ? controls.querySelector("button:not([hidden])")
        : startButton;
      target.focus();
    }
  }

  function renderConflict() {
    let box = root.querySelector(".conflict");
    if (!conflictId || load()) {
      box?.remove();
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.className = "conflict";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = "Abandon that session";
      button.addEventListener("click", () => {
        const id = conflictId;
        conflictId = null;
        finish("abandon", { id, planned: 0, focusedMs: 0, runningSince: null });
        startButton.focus();
      });
      box.append(button);
      status.after(box);
    }
  }

  function renderOutbox() {
    const items = outbox.items();
    outboxBox.hidden = items.length === 0;
    if (!items.length) return;
    const completions = items.filter((item) => item.kind === "complete").length;
    const what = completions
      ? `${completions} completed session${completions > 1 ? "s" : ""}`
      : "An abandoned session";
    const when = outbox.nextTryAt
      ? `trying again in ${Math.max(1, Math.ceil((outbox.nextTryAt - Date.now()) / 1000))} s`
      : "sending";
    outboxText.textContent = `${what} waiting for the server (kept on this device, ${when}).`;
  }

  // --- wiring --------------------------------------------------------------------------

  setup.addEventListener("submit", (event) => {
    event.preventDefault();
    start(chosenMinutes());
  });
  setup.addEventListener("change", render);
  // Typing a length, or clicking into the field, chooses Custom; tabbing through it on the
  // way to "Start focusing" keeps the chosen preset.
  function chooseCustom() {
    setup.querySelector("input[value=custom]").checked = true;
    render();
  }
  custom.addEventListener("input", chooseCustom);
  custom.addEventListener("pointerdown", chooseCustom);
  controls.addEventListener("click", (event) => {
    const action = event.target.closest("button")?.dataset.action;
    if (action === "pause") pause();
    else if (action === "resume") resume();
    else if (action === "complete") finish("complete");
    else if (action === "abandon") finish("abandon");
  });
  $("#outbox-retry").addEventListener("click", () => outbox.flush());
  window.addEventListener("storage", (event) => {
    if (event.key === storageKey) render();
  });

  // A finished session still in the outbox is not running any more; a session the
  // server runs that this browser does not know (another device, cleared storage) is
  // taken over from the server's start.
  let state = load();
  if (state && outbox.has(state.id)) {
    save(null);
    state = null;
  }
  if (state && (!running || running.id !== state.id)) {
    save(null);
    state = null;
    say("Your last timer was closed on another device.");
  }
  if (!state && running && !outbox.has(running.id)) {
    save({
      id: running.id,
      planned: running.planned_minutes,
      focusedMs: 0,
      // Counted back from the server's own "time since start", not from its start time
      // on this device's clock, which may be set differently.
      runningSince: Date.now() - running.elapsed_seconds * 1000,
    });
    say("Picked up the focus session that is running on your account.");
  }

  setInterval(() => {
    const current = load();
    if (current && current.runningSince !== null && focusedSeconds(current) >= current.planned * 60) {
      finish("complete", current);
    } else if (current || !outboxBox.hidden) {
      render();
      renderOutbox();
    }
  }, TICK_MS);
  render();
  renderOutbox();
  outbox.flush();
}
