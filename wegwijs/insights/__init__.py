"""Insights for schools and maintainers (issue 17): what parents ask, what Wegwijs did not understand,
what parents thought of the answers, and how quickly staff answered handovers.

- :mod:`wegwijs.insights.summary` sums up one conversation from Rasa's ``events`` (counts only, never text).
- :mod:`wegwijs.insights.store` keeps those summaries up to date (``refresh``) and deletes them with the
  conversation.
- :mod:`wegwijs.insights.figures` turns them into the page's figures for one school or all, for a period,
  with counts under 5 shown as "< 5".
"""
