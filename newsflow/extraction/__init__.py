"""Extraction: a page or a text into the article's clean body, metadata, language and furniture (stage.py)."""
