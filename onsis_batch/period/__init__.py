"""The period stage: school year, period code and dates, the BSID's schools, the board's
configuration."""
