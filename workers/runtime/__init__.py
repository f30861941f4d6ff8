"""The Celery runtime: the app, the stage tasks and their failure policy, worker boot, the consumer and transport,
health checks, logs and metrics."""
