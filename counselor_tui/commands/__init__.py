"""Handlers of the headless commands, one module per area; each has ``register(sub)``."""
