"""Pages of the dynamics app."""
