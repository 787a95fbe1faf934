// The live socket (/ws/leaderboard/): boards, community counters and the player's news.
// Reconnects with backoff; every (re)connect starts with fresh snapshots from the server.

export function socketBase() {
  const configured = document.body.dataset.wsUrl;
  if (configured) return configured.replace(/\/$/, "");
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;
}

/** Calls onMessage(message) for each message and onState("live"|"connecting"|"offline"). */
export function connectLive({ onMessage, onState = () => {} }) {
  let delay = 1000;

  function retry() {
    onState("offline");
    setTimeout(open, delay * (0.5 + Math.random()));
    delay = Math.min(delay * 2, 30000);
  }

  function open() {
    onState("connecting");
    let socket;
    try {
      socket = new WebSocket(`${socketBase()}/ws/leaderboard/`);
    } catch {
      retry();
      return;
    }
    socket.addEventListener("open", () => {
      delay = 1000;
      onState("live");
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      onMessage(message);
    });
    socket.addEventListener("close", retry);
  }

  open();
}

const STATE_TEXTS = { live: "Live", connecting: "Connecting…", offline: "Reconnecting…" };

/** Shows the socket's state in a `.live-state` element (a dot and a word). */
export function showLiveState(element, state) {
  element.dataset.state = state;
  element.querySelector(".live-text").textContent = STATE_TEXTS[state];
}

/** Writes community counters into the `[data-field]` cells of `box`. */
export function showCommunity(box, data) {
  for (const field of ["focus_minutes", "sessions", "active_players"]) {
    const cell = box.querySelector(`[data-field="${field}"]`);
    if (cell && typeof data[field] === "number") cell.textContent = data[field].toLocaleString("en");
  }
}
