"""Load profiles: how many players arrive, how fast, and what they do.

The spike: a few players are on during a quiet start, then the rest arrive at an even pace
over the ramp (each signs up on arrival), then everyone keeps playing for the hold. Every
player is a closed loop: it waits for each answer, pauses (exponential think time) and
picks its next step from the mix.
"""

from dataclasses import dataclass, field, replace

# What a player's next step is, by weight. "session" starts a focus session, or finishes
# the running one (complete or abandon) once it has run its course, or else looks at the
# dashboard (`/api/me`) while it runs. "check_in" checks a habit in for today or yesterday.
DEFAULT_MIX = {
    "session": 35.0,
    "check_in": 12.0,
    "me": 23.0,
    "leaderboard": 20.0,
    "community": 10.0,
}


@dataclass(frozen=True)
class Profile:
    name: str
    players: int
    quiet_seconds: float
    quiet_players: int
    ramp_seconds: float
    hold_seconds: float
    think_seconds: float
    # Share of players who keep the live leaderboard open (a personal socket, by token).
    socket_share: float
    # Anonymous sockets (the landing page) opened during the quiet start.
    spectators: int
    session_seconds: tuple[float, float]
    abandon_share: float = 0.15
    habits_per_player: int = 2
    mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    web_concurrency: int = 4
    http_connections: int = 200
    request_timeout: float = 30.0

    @property
    def load_seconds(self) -> float:
        return self.quiet_seconds + self.ramp_seconds + self.hold_seconds

    @property
    def sockets(self) -> int:
        return round(self.players * self.socket_share) + self.spectators

    def describe(self) -> str:
        return (
            f"{self.players} players: {self.quiet_players} during a {self.quiet_seconds:g} s "
            f"quiet start, the rest arriving over {self.ramp_seconds:g} s, then "
            f"{self.hold_seconds:g} s at full load; think time {self.think_seconds:g} s; "
            f"{self.sockets} websockets"
        )


# Each profile's fields in order: name, players, quiet start (seconds, players), ramp and
# hold seconds, think seconds, share of players with a socket, anonymous sockets, and a
# focus session's length (shortest, longest seconds).
PROFILES = {
    profile.name: profile
    for profile in (
        # CI: proves every figure is produced; far too small to mean anything.
        Profile(
            "smoke",
            30,
            2,
            3,
            4,
            7,
            0.4,
            0.5,
            10,
            (1.0, 3.0),
            abandon_share=0.2,
            web_concurrency=2,
            http_connections=50,
        ),
        # `make bench`: both modes in under five minutes.
        Profile("short", 400, 5, 10, 20, 25, 8.0, 0.6, 760, (20.0, 90.0)),
        # `make bench-long`: the documented run. Sized for one 2-core machine that serves
        # everything (web, 1,000+ sockets, worker, PostgreSQL, Redis) and the players too.
        Profile("long", 1000, 15, 20, 90, 180, 12.0, 0.6, 450, (30.0, 150.0)),
    )
}


def profile_named(name: str, **overrides) -> Profile:
    try:
        base = PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; one of {', '.join(PROFILES)}") from None
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


def parse_mix(text: str) -> dict[str, float]:
    """`session=35,check_in=12,...` -> weights; unknown steps are refused."""
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        step, _, weight = part.partition("=")
        if step not in DEFAULT_MIX:
            raise ValueError(f"unknown step {step!r} in the mix; one of {', '.join(DEFAULT_MIX)}")
        mix[step] = float(weight)
    if not mix or sum(mix.values()) <= 0:
        raise ValueError("the mix needs at least one step with a positive weight")
    return mix
