"""`python -m onsis_batch`: the same command line as `onsis-batch`."""

from onsis_batch.cli import main

if __name__ == "__main__":  # not when a spawned worker process imports this module
    main()
