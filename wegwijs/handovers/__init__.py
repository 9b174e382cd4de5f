"""Handing a parent's question to the right professional of the school: routing, contact details,
hours, the stored handover, notification mail and the live reply through Rasa."""
