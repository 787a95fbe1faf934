"""What the tests share: the personas, the actions they take through the services, the
query and admin-log readers, the socket helpers, and the fixtures (a pytest plugin, loaded
by the root conftest.py).

Not an app and not in INSTALLED_APPS: only tests import it, and a test imports its helpers
from here, never from a conftest (testkit/tests/test_no_conftest_imports.py holds that).
"""
