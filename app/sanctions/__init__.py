"""Sanctions: the SC's gate, applying an approved decision exactly once, and the path back (lifting)."""
