"""The streaks of imported days, in one pass: each checked day's `streak_at` (a daily
habit's, over its skip days) or its week's `week_streak_at` (a weekly habit's), the numbers
gameplay.rules defines (and a test holds these to). The rules walk back from one day; an
import of years of days needs them for every day at once, so they are kept running here.
"""

from collections import Counter
from collections.abc import Collection, Iterable
from datetime import date, timedelta

from gameplay import rules

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def _daily(days: Collection[date], skip: rules.SkipDay) -> dict[date, int]:
    streaks: dict[date, int] = {}
    previous: date | None = None
    run = 0
    for day in sorted(days):
        gap = (day - previous).days if previous else 0
        # The run goes on when every day between two checked days is a skip day.
        joined = previous is not None and all(skip(previous + n * DAY) for n in range(1, gap))
        run = run + 1 if joined else 1
        streaks[day] = run
        previous = day
    return streaks


def _weekly(days: Collection[date], target: int, on_vacation: rules.SkipDay) -> dict[date, int]:
    count = Counter(rules.week_of(day) for day in days)
    if not count:
        return {}
    by_week: dict[date, int] = {}
    week, last, run = min(count), max(count), 0
    while week <= last:
        if count[week] >= target:
            run += 1
        elif not all(on_vacation(week + n * DAY) for n in range(7)):
            run = 0  # a week wholly on vacation neither breaks nor extends the run
        by_week[week] = run
        week += WEEK
    return {day: by_week[rules.week_of(day)] for day in days}


def day_streaks(
    days: Collection[date],
    schedule: rules.Schedule,
    *,
    vacations: Iterable[tuple[date, date]] = (),
    frozen: Collection[date] = (),
) -> dict[date, int]:
    """Each checked day's streak: `rules.streak_at(days, day, skip=...)` for a daily habit,
    `rules.week_streak_at(days, week_of(day), ...)` for a weekly one."""
    spans = tuple(vacations)
    if schedule.weekly:
        return _weekly(days, schedule.target, rules.skip_days(vacations=spans))
    return _daily(days, rules.skip_days(schedule=schedule, vacations=spans, frozen=frozen))
