"""Which `rasa data validate` warnings fail the build."""
from wegwijs.validate import warnings_that_matter


def test_responses_sent_by_actions_are_harmless_but_others_fail():
    output = "\n".join([
        "UserWarning: The utterance 'utter_default' is not used in any story or rule.",
        "UserWarning: The intent 'care_opp' is not used in any story or rule.",
        "some other log line",
        "UserWarning: The utterance 'utter_something_new' is not used in any story or rule.",
    ])
    assert warnings_that_matter(output) == [
        "The intent 'care_opp' is not used in any story or rule.",
        "The utterance 'utter_something_new' is not used in any story or rule.",
    ]


def test_story_conflicts_that_rasa_logs_fail_too():
    output = "\n".join([
        "2026-12-03 22:50:01 INFO     rasa.validator  - Story structure validation...",
        "2026-12-03 22:50:02 WARNING  rasa.validator  - Story structure conflict after intent 'affirm':",
        "  utter_a predicted in 'story 1'",
    ])
    assert warnings_that_matter(output) == ["rasa.validator: Story structure conflict after intent 'affirm':"]
