"""Settings for newsflow: one typed object, read once per process."""

from config.settings import Settings, get_settings, unknown_variables

__all__ = ["Settings", "get_settings", "unknown_variables"]
