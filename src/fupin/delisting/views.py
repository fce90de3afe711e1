"""Pages of the delisting app."""
