"""Celery app, worker boot, the ingest gateway and the `newsflow` command line."""
