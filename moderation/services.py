"""What moderators do to players. Every action goes through the same live store as the
game's own awards, and is written to Django's admin log.

Who may act on whom is decided here, not in the admin: a moderator never acts on
themselves, and only a superuser acts on staff.
"""

from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from accounts.models import User
from gameplay import boards, live
from leaderboard.pusher import player_group, ranks_moved
from moderation import fairplay
from moderation.models import FairPlayDismissal, PendingEvents
from moderation.selectors import fairplay_flags
from pipeline import flush

# A ledger row's points is a 32-bit integer; no honest correction comes near this.
MAX_ADJUSTMENT = 100_000
REASON_MAX_LENGTH = 500


def admin_log(*, moderator: User, obj: models.Model, message: str, flag: int = CHANGE) -> None:
    LogEntry.objects.log_actions(
        user_id=moderator.pk,
        queryset=[obj],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )


def _ensure_may_moderate(moderator: User, player: User) -> None:
    if moderator.pk == player.pk:
        raise PermissionDenied("Moderators do not moderate themselves.")
    if (player.is_staff or player.is_superuser) and not moderator.is_superuser:
        raise PermissionDenied("Only a superuser moderates staff accounts.")


def player_points_adjust(
    *, moderator: User, player: User, points: int, reason: str, now: datetime
) -> live.Outcome:
    """Add (or take away) points with a reason, as an event on the normal path: the live
    total, week and boards move at once, and the flush writes the ledger row with the
    moderator and the reason."""
    reason = (reason or "").strip()
    errors = {}
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        errors["points"] = "Give a whole number of points other than 0."
    elif abs(points) > MAX_ADJUSTMENT:
        errors["points"] = f"An adjustment is at most {MAX_ADJUSTMENT} points either way."
    if not reason:
        errors["reason"] = "Give a reason: it is kept in the ledger."
    elif len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = f"Keep the reason under {REASON_MAX_LENGTH} characters."
    if errors:
        raise ValidationError(errors)
    _ensure_may_moderate(moderator, player)
    with transaction.atomic():
        admin_log(
            moderator=moderator, obj=player, message=f"Adjusted points by {points:+d}: {reason}"
        )
        # Last, inside the transaction: if Redis refuses, the log entry rolls back too.
        return live.adjust(
            actor=player.actor,
            points=points,
            moderator_id=moderator.pk,
            reason=reason,
            now=now,
        )


def _flag_set(*, moderator: User, player: User, field: str, value: bool, message: str) -> bool:
    """Set one of the player's yes/no flags under a row lock, logged for the admin; inside
    the caller's transaction. Returns whether it changed."""
    locked = User.objects.select_for_update().get(pk=player.pk)
    changed = getattr(locked, field) != value
    if changed:
        setattr(locked, field, value)
        locked.save(update_fields=[field])
        admin_log(moderator=moderator, obj=locked, message=message)
    setattr(player, field, value)
    return changed


def player_visibility_set(*, moderator: User, player: User, hidden: bool, now: datetime) -> bool:
    """Hide a player from the leaderboards (they keep their points) or show them again.
    Returns whether the flag changed."""
    _ensure_may_moderate(moderator, player)
    message = "Hid from the leaderboards." if hidden else "Showed on the leaderboards."
    with transaction.atomic():
        changed = _flag_set(
            moderator=moderator,
            player=player,
            field="hidden_from_leaderboards",
            value=hidden,
            message=message,
        )
        # Last, inside the transaction, so that PostgreSQL and Redis move together: if
        # Redis refuses, the flag rolls back. Sent even when PostgreSQL already agreed,
        # which repairs a live store that drifted.
        boards.player_visibility_set(player_id=player.pk, hidden=hidden, now=now)
    ranks_moved()
    return changed


def live_sockets_close(*, player_id: int) -> None:
    """Close the player's open websockets: they authenticated when they connected."""
    async_to_sync(get_channel_layer().group_send)(
        player_group(player_id), {"type": "account.closed"}
    )


def player_active_set(*, moderator: User, player: User, active: bool) -> bool:
    """Deactivate or reactivate an account. Returns whether it changed.

    Nothing else is needed for the player's credentials to stop working at once: DRF's
    TokenAuthentication refuses the token of an inactive user, and Django's ModelBackend
    finds no user for a session whose user is inactive, on every request. Reactivation
    makes the same token and sessions work again.
    """
    _ensure_may_moderate(moderator, player)
    message = "Reactivated the account." if active else "Deactivated the account."
    with transaction.atomic():
        changed = _flag_set(
            moderator=moderator, player=player, field="is_active", value=active, message=message
        )
    if changed and not active:
        transaction.on_commit(lambda: live_sockets_close(player_id=player.pk))
    return changed


def flush_now(*, moderator: User, max_seconds: float = 20.0) -> flush.FlushReport:
    """Flush pending events to PostgreSQL now, as the periodic task does."""
    report = flush.flush_pending(max_seconds=max_seconds)
    admin_log(
        moderator=moderator,
        obj=PendingEvents(),
        message=f"Flushed {report.events} events for {report.players} players.",
    )
    return report


def fairplay_flag_dismiss(
    *, moderator: User, player: User, rule: str, seen_through: datetime, now: datetime
) -> FairPlayDismissal:
    """Dismiss a player's open flag as the moderator saw it: when its evidence changed
    since (newer activity, or the flag is gone), nothing is dismissed."""
    _ensure_may_moderate(moderator, player)
    current = next(
        (f for f in fairplay_flags(now=now) if f.player_id == player.pk and f.rule == rule),
        None,
    )
    if current is None or current.latest_at != seen_through:
        raise ValidationError("The evidence changed since the queue was shown: review it again.")
    with transaction.atomic():
        dismissal = FairPlayDismissal.objects.create(
            player=player,
            rule=rule,
            evidence_through=current.latest_at,
            evidence="\n".join(current.evidence),
            dismissed_by=moderator,
            dismissed_at=now,
        )
        admin_log(
            moderator=moderator,
            obj=player,
            message=f'Dismissed the fair-play flag "{fairplay.RULE_TITLES[rule]}".',
        )
    return dismissal
