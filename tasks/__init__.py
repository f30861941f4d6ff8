"""One module per pipeline stage: a pure stage function and the thin Celery task around it."""
