"""The patrol lifecycle: plans, preflight, the persisted state machine, runners and tracks."""
