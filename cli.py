"""Thin shim so `python cli.py ...` works from a source checkout."""

from onsis_batch.cli import main

if __name__ == "__main__":
    main()
