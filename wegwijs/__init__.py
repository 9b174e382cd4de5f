"""Wegwijs: a Dutch assistant that helps parents find care and youth help through school."""

__version__ = "0.1.0"
