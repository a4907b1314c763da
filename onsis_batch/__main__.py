"""`python -m onsis_batch`: the command line."""

from onsis_batch.cli import main

main()
