"""A player's vacations: the live values, and the two changes, each ONE live-store call
(gameplay.vacations) that writes nothing to PostgreSQL; the flush brings their events
there (vacations/projections.py).

The rules are gameplay.rules' ("Vacations"). What depends only on the request (the first
day, the length) is refused here before the call; what depends on the vacations held (an
overlap, the days of a calendar year) is decided by the script against the hash at that
moment, and a refusal it answers is worded here by the same rule, with the vacations the
script saw.
"""

from dataclasses import dataclass
from datetime import date, datetime

from accounts.models import User
from common.refusals import Conflict, Invalid, Missing
from gameplay import rules
from gameplay import vacations as live_vacations
from gameplay.vacations import Status, Vacation

# Taking a vacation back reads it, decides, and writes only if it is still as read; a
# request changing it in between (another tab) makes it read again.
TAKE_BACK_ATTEMPTS = 3
OVER = "This vacation is over: its days stay in your history."


@dataclass(frozen=True)
class VacationAdded:
    vacation: Vacation
    created: bool  # False: the same vacation was held already (a repeated request)


def _refuse(refusal: rules.VacationRefusal | None) -> None:
    if refusal is None:
        return
    if refusal.overlap:
        raise Conflict(refusal.message)
    raise Invalid(refusal.message, field=refusal.field)


def vacations_list(*, player: User) -> list[Vacation]:
    """The player's vacations, live, ordered by their first day (past ones included:
    they are skip days of the streaks they crossed)."""
    return live_vacations.vacations_of(player.pk)


def vacation_add(*, player: User, start: date, end: date, now: datetime) -> VacationAdded:
    """Add the vacation start..end (the player's local days, both included). 400 for a
    vacation the rules refuse, 409 when it overlaps another; the same vacation again
    answers the one held and writes nothing."""
    actor = player.actor
    today = actor.day(now)
    _refuse(rules.vacation_refusal(start, end, today=today))
    added = live_vacations.vacation_add(actor=actor, start=start, end=end, now=now)
    if added.vacation is not None:
        return VacationAdded(added.vacation, created=added.status == Status.OK)
    others = [(held.start, held.end) for held in added.held]
    _refuse(rules.vacation_refusal(start, end, today=today, others=others))
    # The script and the rule disagree: never seen, but nothing was written either way.
    raise Conflict("Your vacations changed meanwhile: please try again.")


def vacation_take_back(*, player: User, vacation_id: str, now: datetime) -> str:
    """Take the vacation back: one not yet begun (or beginning today) is removed, one under
    way ends yesterday; answers rules.VACATION_REMOVED or rules.VACATION_ENDED. Another
    player's or an unknown id is 404.

    One already over is a 409 that writes nothing, not a 204: its days are history. They
    were skip days of the streaks that crossed them (and gave back any freeze spent on
    them); taking them away now would break streaks after the fact, and the product takes
    back only the days not yet begun, of which it has none. A 204 would say it is gone while
    the list still shows it; the 409 says why it stays, and the page offers no button for it.
    """
    actor = player.actor
    today = actor.day(now)
    for _ in range(TAKE_BACK_ATTEMPTS):
        vacation = live_vacations.vacation_of(player.pk, vacation_id)
        if vacation is None:
            raise Missing("Not found.")
        cut, last = rules.vacation_cut(vacation.start, vacation.end, today=today)
        if cut == rules.VACATION_OVER:
            raise Conflict(OVER)
        status = live_vacations.vacation_cut(actor=actor, vacation=vacation, last=last, now=now)
        if status == Status.OK:
            return cut
    raise Conflict("This vacation is being changed by another request: please try again.")
