"""Self-contained architecture files that are copied into packages (each imports no samzoo module)."""
