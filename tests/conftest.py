"""Test-suite settings: Hypothesis profiles (the fixtures live beside the tests that use them).

`ci` (chosen when CI is set, as in `.ci/run`): derandomized, so a run on a fresh clone draws the
same examples every time, with no example database to read or write; no per-example deadline,
since a 2-core machine running the whole suite is slow and uneven. `dev`: random draws, the same
generous deadline. Pick one by hand with `pytest --hypothesis-profile=ci`.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
