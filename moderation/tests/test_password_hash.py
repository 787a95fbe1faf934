"""A player's stored password hash never reaches a moderator's screen, whatever the hasher."""

import pytest
from django.contrib.auth.hashers import identify_hasher

from accounts.models import User
from testkit.personas import PASSWORD, browser_for

pytestmark = pytest.mark.django_db

HASHERS = (
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
)


def secrets_of(player: User) -> list[str]:
    """The stored string and the salt and hash inside it, in the hasher's own format."""
    stored = User.objects.get(pk=player.pk).password
    parts = identify_hasher(stored).decode(stored)
    return [stored, parts["salt"], parts["hash"]]


@pytest.mark.parametrize("hasher", HASHERS)
def test_a_moderator_never_sees_the_password_hash(settings, hasher, as_mo_admin, alice):
    settings.PASSWORD_HASHERS = [hasher]
    alice.set_password(PASSWORD)
    alice.save(update_fields=["password"])
    stored, salt, digest = secrets_of(alice)
    assert stored.startswith(identify_hasher(stored).algorithm + "$")

    response = as_mo_admin.get(f"/admin/accounts/user/{alice.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="moderation-values"' in html  # the player page itself
    assert stored not in html
    assert salt not in html
    assert digest not in html
    assert "algorithm" not in html


def test_a_superuser_sees_only_djangos_masked_summary_and_the_reset_link(root, alice):
    stored, salt, digest = secrets_of(alice)

    response = browser_for(root).get(f"/admin/accounts/user/{alice.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert stored not in html
    assert salt not in html
    assert digest not in html
    assert 'href="../password/"' in html
