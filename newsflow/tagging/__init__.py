"""Tagging: people, organisations and places with canonical names, countries, topics and keywords (stage.py)."""
