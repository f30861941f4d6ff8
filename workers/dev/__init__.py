"""The embedded runtime for development, `newsflow process` and the tests: a private Redis and local workers."""
