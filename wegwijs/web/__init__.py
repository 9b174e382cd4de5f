"""The parents' side: the chat widget, its small API (history, status, erase) and the demo school pages."""
