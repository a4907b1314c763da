"""The PAE stage: read (and write) the Ministry's Pending Area Extracts, EXSMS CSV files."""
