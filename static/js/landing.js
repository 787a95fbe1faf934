// Landing page: today's community counters, live over the websocket.
import { connectLive, showCommunity, showLiveState } from "./live.js";

const box = document.getElementById("community");
const liveState = document.getElementById("live-state");

fetch("/api/community")
  .then((response) => (response.ok ? response.json() : null))
  .then((data) => data && showCommunity(box, data))
  .catch(() => {});

connectLive({
  onState: (state) => showLiveState(liveState, state),
  onMessage(message) {
    if (message.type === "community") showCommunity(box, message);
  },
});
