"""``rasa run`` with the JWT secret from the environment, never on the command line (issue 20, finding 6).

A process's command line is readable by every user of the machine (``ps``, ``/proc/<pid>/cmdline``);
whoever reads Rasa's ``--jwt-secret`` there can sign an admin token for its HTTP API. Its environment is
readable only by its owner. So Wegwijs starts ``python -m wegwijs.rasa_run run …`` with
``WEGWIJS_RASA_JWT_SECRET`` in the environment, and this module hands the secret to Rasa's own command
line parser inside the process (``sys.argv`` changes nothing the operating system shows).
"""
from __future__ import annotations

import os
import sys

SECRET_ENV = "WEGWIJS_RASA_JWT_SECRET"


def main() -> None:
    """Run Rasa's CLI with ``--jwt-secret`` from :data:`SECRET_ENV` added to this process's arguments."""
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        raise SystemExit(f"{SECRET_ENV} is needed: Rasa's HTTP API must not run without auth")
    # one argument with "=": a secret that begins with "-" must not be read as an option
    sys.argv = ["rasa", *sys.argv[1:], f"--jwt-secret={secret}"]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
