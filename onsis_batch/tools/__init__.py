"""Registrar and auditor tools that read files back: diff, results import, verify."""
