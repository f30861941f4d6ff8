"""Settings for newsflow: one typed object, read once per process."""

from config.settings import STAGES, Settings, Stage, get_settings

__all__ = ["STAGES", "Settings", "Stage", "get_settings"]
