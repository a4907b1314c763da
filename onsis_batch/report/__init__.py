"""Reports of a run for people (text) and machines (JSON)."""
