import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_make_moderator_gives_exactly_the_moderators_group(alice):
    call_command("make_moderator", "alice")

    alice.refresh_from_db()
    assert alice.is_staff is True
    assert alice.is_superuser is False
    assert list(alice.groups.values_list("name", flat=True)) == ["moderators"]
    assert alice.user_permissions.count() == 0
    assert alice.get_all_permissions() == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name="moderators").permissions.all()
    }


def test_the_moderators_group_can_read_the_ledger_but_not_change_it(alice):
    call_command("make_moderator", "alice")
    alice = type(alice).objects.get(pk=alice.pk)

    assert alice.has_perm("gameplay.view_ledgerentry")
    assert alice.has_perm("accounts.change_user")
    assert not alice.has_perm("gameplay.change_ledgerentry")
    assert not alice.has_perm("gameplay.delete_ledgerentry")
    assert not alice.has_perm("auth.change_group")
    assert not alice.has_perm("auth.change_permission")


def test_make_moderator_names_an_unknown_player(db):
    with pytest.raises(CommandError, match="No player named 'nobody'"):
        call_command("make_moderator", "nobody")
