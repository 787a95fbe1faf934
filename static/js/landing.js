// Landing page: today's community counters, then live over the websocket.
const box = document.getElementById("community");

function show(data) {
  for (const field of ["focus_minutes", "sessions", "active_players"]) {
    const cell = box.querySelector(`[data-field="${field}"]`);
    if (cell && data[field] !== undefined) cell.textContent = data[field].toLocaleString();
  }
}

fetch("/api/community").then((r) => r.json()).then(show).catch(() => {});

const base = document.body.dataset.wsUrl || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;
try {
  const socket = new WebSocket(`${base}/ws/leaderboard/`);
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "community") show(message);
  });
} catch (error) {
  // The counters still show today's values without the live socket.
}
