"""Running the pipeline: one BSID (generate, explain) or a whole board, with manifests, the
output-folder lock, log lines and retention."""
