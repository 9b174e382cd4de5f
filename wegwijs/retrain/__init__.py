"""Retraining from conversation logs (``wegwijs retrain …``, docs/retraining.md).

1. ``export``: parents' messages from Rasa's tracker store since the last export, PII scrubbed before they
   are stored anywhere else (:mod:`wegwijs.retrain.export`);
2. review in the portal (maintainers) or through a file (:mod:`wegwijs.retrain.review`);
3. ``write``: approved examples into ``data/<topic>/nlu_reviewed.yml`` with Rasa's own reader and writer,
   chosen conversations as test stories under ``var/retrain/stories/`` (:mod:`wegwijs.retrain.writer`);
4. ``round``: validate, train a candidate, evaluate candidate and current model on the same held-out set
   and test stories, write a report, and promote only through the gate (:mod:`wegwijs.retrain.gate`);
   ``rollback`` restores an earlier model (:mod:`wegwijs.retrain.models`).
"""
