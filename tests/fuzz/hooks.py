"""Schemathesis hooks of the fuzz run (``SCHEMATHESIS_HOOKS=tests.fuzz.hooks``, set by run.py).

The fuzzer must stay logged in as the account it fuzzes as. It logs in again after a fuzzed
logout (``auth.dynamic`` in schemathesis.toml), but an admin that changes its own password through
``PATCH /api/users/{user_id}`` would lock the fuzzer out for the rest of the run: every later
request would be a 401 and test nothing. Such a request goes to the bootstrap admin instead,
which exercises the same code.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    if (
        case.operation.path == "/api/users/{user_id}"
        and case.method.upper() == "PATCH"
        and str((case.path_parameters or {}).get("user_id")) == os.environ["FUZZ_SELF_ID"]
    ):
        case.path_parameters["user_id"] = int(os.environ["FUZZ_OTHER_ADMIN_ID"])
    return case
