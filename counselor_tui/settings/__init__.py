"""Packaged default settings files (data only), e.g. the tier policy ``policy.toml``."""
