"""previz."""
