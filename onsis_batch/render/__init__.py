"""The render stage: the plan as OnSIS batch XML, published atomically and owner-only."""
