// The leaderboard card: all-time and this-week tabs (ARIA tabs with arrow keys), the top
// 10 from the socket's snapshots and the player's own rank from their "me" news.

export function mountLeaderboard(root, { playerId, boards, me }) {
  const tabs = [...root.querySelectorAll("[role=tab]")];
  let current = { ...me };

  function select(tab, focus) {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      root.querySelector(`#${other.getAttribute("aria-controls")}`).hidden = !selected;
    }
    if (focus) tab.focus();
  }

  root.querySelector("[role=tablist]").addEventListener("keydown", (event) => {
    const index = tabs.indexOf(document.activeElement);
    if (index < 0) return;
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    select(tabs[(moves[event.key] + tabs.length) % tabs.length], true);
  });
  for (const tab of tabs) tab.addEventListener("click", () => select(tab, false));

  function setBoard(board, entries) {
    const list = root.querySelector(`#board-${board}`);
    if (!list) return;
    const items = entries.map((entry) => {
      const item = document.createElement("li");
      item.dataset.userId = entry.user_id;
      const mine = entry.user_id === playerId;
      if (mine) item.className = "me";
      const rank = document.createElement("span");
      rank.className = "rank";
      rank.textContent = `#${entry.rank}`;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = mine ? `${entry.display_name} (you)` : entry.display_name;
      const points = document.createElement("span");
      points.className = "points";
      points.textContent = `${entry.points.toLocaleString("en")} pts`;
      item.append(rank, name, points);
      return item;
    });
    if (!items.length) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = board === "week" ? "No points yet this week. Be the first!" : "No points yet. Be the first!";
      items.push(empty);
    }
    list.replaceChildren(...items);
  }

  function setMe(next) {
    current = { ...current, ...next };
    const lines = {
      all: [current.rank?.all, current.points],
      week: [current.rank?.week, current.weekly_points],
    };
    for (const [board, [rank, points]] of Object.entries(lines)) {
      const line = root.querySelector(`#me-${board}`);
      line.textContent = rank
        ? `Your rank: #${rank} with ${points.toLocaleString("en")} points`
        : "You are not on this board yet.";
    }
  }

  for (const board of ["all", "week"]) setBoard(board, boards[board].entries);
  setMe(current);
  return { setBoard, setMe };
}
