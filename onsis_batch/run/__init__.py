"""Running the pipeline: the plan request, the one plan path (`planning`), one BSID
(generate, explain) or a whole board, with manifests, the output-folder lock, log lines and
retention."""
