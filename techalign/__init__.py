"""techalign: cross-team technical-plan alignment."""
