"""newsflow: extract, translate, tag and publish news articles through Redis and Celery."""

__version__ = "0.1.0"
