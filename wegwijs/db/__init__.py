"""Our own tables (handovers, staff, audit log) beside Rasa's tracker store, in the same database."""
