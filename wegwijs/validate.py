"""Run ``rasa data validate`` and fail on every warning except the documented harmless ones.

Responses that only custom actions send (for example ``utter_safety_general`` from ``action_fallback``)
are "not used in any story or rule" for Rasa's validator; those warnings are expected. Any other
warning fails, also those Rasa logs instead of warning (story structure conflicts).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

from wegwijs.training import rasa_env

#: Responses sent by actions, not by rules: action_answer_topic (utter_default), action_fallback
#: (utter_safety_general), action_handle_deny (utter_anything_else), Rasa's action_restart (utter_restart).
SENT_BY_ACTIONS = ("utter_default", "utter_safety_general", "utter_anything_else", "utter_restart")
HARMLESS = [re.compile(rf"The utterance '{name}' is not used in any story or rule")
            for name in SENT_BY_ACTIONS]
WARNING = re.compile(r"UserWarning: (.*)")
#: What Rasa reports through its logger instead: story structure conflicts and validation errors.
LOGGED = re.compile(r"\b(?:WARNING|ERROR)\s+(rasa\.[\w.]+)\s+-\s+(.*)")


def warnings_that_matter(output: str) -> List[str]:
    """The warnings in ``rasa data validate`` output that are not on the harmless list."""
    found = []
    for line in output.splitlines():
        match = WARNING.search(line)
        if match and not any(pattern.search(match.group(1)) for pattern in HARMLESS):
            found.append(match.group(1).strip())
            continue
        logged = LOGGED.search(line)
        if logged:
            found.append(f"{logged.group(1)}: {logged.group(2).strip()}")
    return found


def validate(home: Path) -> Tuple[bool, List[str], str]:
    """Run ``rasa data validate`` in ``home``: (passed, warnings that matter, Rasa's output)."""
    result = subprocess.run([sys.executable, "-m", "rasa", "data", "validate"], cwd=home,
                            env=rasa_env(), capture_output=True, text=True)
    output = result.stdout + result.stderr
    problems = warnings_that_matter(output)
    return result.returncode == 0 and not problems, problems, output


def main() -> int:
    """Run the validator in the project folder."""
    home = Path(__file__).resolve().parents[1]
    passed, problems, output = validate(home)
    for problem in problems:
        print(f"- {problem}")
    if not passed and not problems:
        print(output[-4000:])
        print("rasa data validate: failed")
        return 1
    print(f"rasa data validate: {len(problems)} warning(s) that matter")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
