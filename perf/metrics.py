"""What the simulated players saw: every request's latency and outcome, by endpoint and by
second of the run, and the push latencies the websockets measured."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from perf.report import percentiles

# The gamified actions: the requests that record an event when they are accepted.
ACTIONS = frozenset(
    {
        "POST /api/sessions",
        "POST /api/sessions/{id}/complete",
        "POST /api/sessions/{id}/abandon",
        "POST /api/habits/{id}/check-ins",
    }
)


@dataclass
class Second:
    requests: int = 0
    actions: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    action_latencies: list[float] = field(default_factory=list)
    players: int = 0


class Recorder:
    """Collects samples; times are seconds since the run's start (monotonic clock)."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, Counter] = defaultdict(Counter)
        self.seconds: dict[int, Second] = defaultdict(Second)
        # Accepted gamified actions that recorded an event, by event kind.
        self.repeats = 0
        # When each accepted action that recorded an event was answered.
        self.event_times: list[float] = []
        self.board_push: list[tuple[float, float]] = []
        self.me_push: list[tuple[float, float]] = []
        # Per socket and board snapshot: how long after the first socket this one got it.
        self.board_spread: list[tuple[float, float]] = []
        self.loop_lag: list[tuple[float, float]] = []
        self.sockets_open = 0
        self.sockets_peak = 0
        self.socket_errors: Counter = Counter()
        self.socket_messages = 0

    def request(self, endpoint: str, at: float, latency: float, *, error: str | None) -> None:
        second = self.seconds[int(at + latency)]
        second.requests += 1
        second.latencies.append(latency)
        if error is None:
            self.latencies[endpoint].append(latency)
            if endpoint in ACTIONS:
                second.actions += 1
                second.action_latencies.append(latency)
        else:
            self.errors[endpoint][error] += 1
            second.errors += 1

    def socket_opened(self) -> None:
        self.sockets_open += 1
        self.sockets_peak = max(self.sockets_peak, self.sockets_open)

    def socket_closed(self) -> None:
        self.sockets_open -= 1

    # --- summaries

    def endpoint_table(self, seconds: float) -> dict[str, dict]:
        names = sorted(set(self.latencies) | set(self.errors))
        table = {}
        for name in names:
            ok = self.latencies.get(name, [])
            failed = sum(self.errors.get(name, Counter()).values())
            table[name] = {
                "requests": len(ok) + failed,
                "per_second": (len(ok) + failed) / seconds,
                "errors": failed,
                **{k: v * 1000 if v is not None else None for k, v in percentiles(ok).items()},
            }
        return table

    def error_detail(self) -> dict[str, dict[str, int]]:
        return {name: dict(counts) for name, counts in self.errors.items() if counts}

    def timeline(self, until: float) -> list[dict]:
        rows = []
        for t in range(int(until) + 1):
            s = self.seconds.get(t, Second())
            action_pcts = percentiles(s.action_latencies)
            rows.append(
                {
                    "t": t,
                    "requests": s.requests,
                    "actions": s.actions,
                    "errors": s.errors,
                    "players": s.players,
                    "p50_ms": _ms(action_pcts["p50"]),
                    "p95_ms": _ms(action_pcts["p95"]),
                    "p99_ms": _ms(action_pcts["p99"]),
                }
            )
        return rows


def _ms(value: float | None) -> float | None:
    return None if value is None else value * 1000
