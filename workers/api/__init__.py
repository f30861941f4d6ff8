"""The HTTP ingest gateway (FastAPI): `newsflow gateway`."""
