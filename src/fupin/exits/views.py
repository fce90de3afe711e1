"""Pages of the exits app."""
