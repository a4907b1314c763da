"""The plan: what a batch file will contain, as plain data, with natural keys and overrides."""
