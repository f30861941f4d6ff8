"""Settings for newsflow: one typed object, read once per process."""

from config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
