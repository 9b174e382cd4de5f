"""Rasa SDK custom actions of Wegwijs. Thin: the logic lives in the ``wegwijs`` package."""
