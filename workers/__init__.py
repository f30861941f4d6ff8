"""What runs newsflow's domain (the newsflow package): the Celery runtime, the HTTP API, the CLI, and the embedded
runtime for development. Each is a subpackage; none is imported by the domain."""
