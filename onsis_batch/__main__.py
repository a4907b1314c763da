from onsis_batch.cli import main

main()
