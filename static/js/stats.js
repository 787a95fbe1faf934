// The history card: focus minutes per day over 28 days (Chart.js) and a calendar heatmap
// of habit check-ins over 12 weeks, with the days a freeze kept a streak marked ❄, both
// from GET /api/stats (flushed history).

const CHART_DAYS = 28;
const HEATMAP_WEEKS = 12;
const DAY_MS = 86400000;

function parseDay(iso) {
  return new Date(`${iso}T00:00:00Z`);
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function shortDay(iso) {
  return parseDay(iso).toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });
}

export function mountStats(root, { flushSeconds }) {
  const canvas = root.querySelector("#focus-chart");
  const heatmap = root.querySelector("#heatmap");
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  let chart = null;
  let pending = null;

  function drawChart(days) {
    const recent = days.slice(-CHART_DAYS);
    const labels = recent.map((day) => shortDay(day.date));
    const minutes = recent.map((day) => day.focus_minutes);
    const total = minutes.reduce((a, b) => a + b, 0);
    const best = recent.reduce((a, b) => (b.focus_minutes > a.focus_minutes ? b : a), recent[0]);
    canvas.setAttribute(
      "aria-label",
      `Focus minutes per day over the last ${CHART_DAYS} days: ${total} minutes in all` +
        (best && best.focus_minutes ? `, the most on ${shortDay(best.date)} (${best.focus_minutes}).` : "."),
    );
    if (!window.Chart) return; // the numbers are still in the label
    if (chart) {
      chart.data.labels = labels;
      chart.data.datasets[0].data = minutes;
      chart.update();
      return;
    }
    chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels,
        datasets: [{ label: "Focus minutes", data: minutes, backgroundColor: "#4338ca", borderRadius: 3 }],
      },
      options: {
        maintainAspectRatio: false,
        animation: reducedMotion ? false : { duration: 300 },
        plugins: { legend: { display: false } },
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12, color: "#4b4b63" } },
          y: { beginAtZero: true, ticks: { precision: 0, color: "#4b4b63" } },
        },
      },
    });
  }

  function drawHeatmap(days) {
    const counts = new Map(days.map((day) => [day.date, day]));
    const today = parseDay(days[days.length - 1].date);
    const weekday = (today.getUTCDay() + 6) % 7; // Monday = 0
    const first = new Date(today.getTime() - (weekday + 7 * (HEATMAP_WEEKS - 1)) * DAY_MS);
    const cells = [];
    let total = 0;
    let active = 0;
    let kept = 0;
    for (let i = 0; i < HEATMAP_WEEKS * 7; i += 1) {
      const date = new Date(first.getTime() + i * DAY_MS);
      const cell = document.createElement("span");
      cell.className = "cell";
      if (date > today) {
        cell.dataset.level = "future";
      } else {
        const iso = isoDay(date);
        const { check_ins: count = 0, frozen = 0 } = counts.get(iso) || {};
        total += count;
        active += count ? 1 : 0;
        cell.dataset.level = String(Math.min(count, 4));
        cell.title = `${shortDay(iso)}: ${count} check-in${count === 1 ? "" : "s"}`;
        if (frozen) {
          // A missed day a freeze kept: marked apart from a day simply missed.
          kept += 1;
          cell.dataset.frozen = "";
          cell.textContent = "❄";
          cell.title += `, ❄ a freeze kept ${frozen === 1 ? "a streak" : `${frozen} streaks`}`;
        }
      }
      cells.push(cell);
    }
    heatmap.replaceChildren(...cells);
    heatmap.setAttribute(
      "aria-label",
      `Habit check-ins over the last ${HEATMAP_WEEKS} weeks: ${total} check-ins on ${active} days` +
        (kept ? `; a freeze kept a streak on ${kept} day${kept === 1 ? "" : "s"}.` : "."),
    );
  }

  async function load() {
    try {
      const response = await fetch(`/api/stats?days=${HEATMAP_WEEKS * 7 + 7}`, { credentials: "same-origin" });
      if (!response.ok) return;
      const { days } = await response.json();
      if (!days.length) return;
      drawChart(days);
      drawHeatmap(days);
    } catch {
      // History waits for the next action or reload; the live cards do not depend on it.
    }
  }

  /** History trails the live values by one flush: read it again once that has passed. */
  function refreshSoon() {
    clearTimeout(pending);
    pending = setTimeout(load, (flushSeconds + 1.5) * 1000);
  }

  load();
  return { refreshSoon };
}
