"""The project's settings for load tests, with one change: a cheap password hasher.

A spike signs up thousands of players in a minute. With Django's PBKDF2 (a deliberate
fraction of a CPU second per sign-up) the two cores of the benchmark machine would spend
the ramp hashing passwords and measure nothing else; sign-up cost is sized separately
(docs/benchmarks.md). Everything else (middleware, throttles, write path) is unchanged.
"""

from focusquest.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
