"""``python -m tests.cheap_hash_wakedock serve …``: the ``wakedock`` command as the tests' server
processes run it, hashing passwords with Argon2id at argon2-cffi's cheapest parameters.

At the production cost each hash takes about 140 ms of a core (several seconds on a loaded CI
runner), and every user a test creates over the API costs three (the admin's login, the new
password, the user's login). The swap is the one ``cheap_password_hashing`` makes in the test
process (tests/conftest.py); ``tests/auth/test_passwords.py`` checks, in a fresh interpreter, the
parameters a real ``wakedock serve`` uses. A hash records its parameters, so hashes made either
way verify in both.
"""

from __future__ import annotations

from argon2 import PasswordHasher, profiles

from wakedock.auth import passwords
from wakedock.cli import main

if __name__ == "__main__":
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    passwords._hasher = cheap
    passwords._DUMMY_HASH = cheap.hash("wakedock-dummy-password")
    main()
