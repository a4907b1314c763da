"""The segments stage: per segment, select and derive the rows, then decide ACTION against
the PAE."""
