"""The portal's routes, one module per area: ``health``, ``auth`` (login, logout, the login throttle),
``handovers`` (inbox and handover pages), ``review`` (maintainers' review for retraining), ``sources``
(maintainers' source list) and ``audit`` (the school's audit log, for admins)."""
