// The dashboard: wires the timer, the leaderboard, the history and the live socket.
// Badges and level-ups are announced once each, whichever source reports them first:
// the answer to the player's own action or the socket's news.

import { connectLive, showCommunity, showLiveState } from "./live.js";
import { mountLeaderboard } from "./leaderboard.js";
import { mountStats } from "./stats.js";
import { mountTimer } from "./timer.js";
import { toaster } from "./toasts.js";

const data = JSON.parse(document.getElementById("dashboard-data").textContent);
const toast = toaster(document.getElementById("toasts"));
const announcedBadges = new Set(data.earnedBadges);
let announcedLevel = data.level;
let knownPoints = data.me.points;

function announce({ new_badges: badges = [], level } = {}) {
  for (const code of badges) {
    if (announcedBadges.has(code)) continue;
    announcedBadges.add(code);
    toast(`Badge earned: ${data.badgeTitles[code] || code}!`, "badge");
  }
  if (level && level > announcedLevel) {
    announcedLevel = level;
    toast(`Level up! You reached level ${level}.`, "level");
  }
}

/** Refreshes the player card (htmx listens for this event) and the history. */
function progressed(detail) {
  document.body.dispatchEvent(new CustomEvent("fq-progress", { detail }));
}

const stats = mountStats(document.getElementById("stats"), { flushSeconds: data.flushSeconds });
const board = mountLeaderboard(document.getElementById("leaderboard"), {
  playerId: data.playerId,
  boards: data.boards,
  me: data.me,
});

document.body.addEventListener("fq-progress", (event) => {
  if (typeof event.detail?.points === "number") knownPoints = event.detail.points;
  announce(event.detail || {});
  stats.refreshSoon();
});

mountTimer(document.getElementById("timer"), {
  playerId: data.playerId,
  running: data.running,
  fullBonus: data.fullBonus,
  shortSeconds: data.shortSeconds,
  onFinished: progressed,
});

// Keep keyboard focus in the habits card when the control that had it is swapped away.
document.body.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id === "habits-body" && document.activeElement === document.body) {
    document.getElementById("habits-title").focus();
  }
});

const liveState = document.getElementById("live-state");
const community = document.getElementById("community");

connectLive({
  onState: (state) => showLiveState(liveState, state),
  onMessage(message) {
    switch (message.type) {
      case "leaderboard":
        board.setBoard(message.board, message.entries);
        break;
      case "community":
        showCommunity(community, message);
        break;
      case "me":
        board.setMe(message);
        // The snapshot on connect, or news the page has already shown, changes nothing.
        if (message.points !== knownPoints) progressed({ level: message.level, points: message.points });
        break;
      case "badge":
        announce({ new_badges: [message.code] });
        break;
      case "level_up":
        announce({ level: message.level });
        break;
      default:
        break;
    }
  },
});
