"""counselor-tui: encrypted terminal tool for police-bureau psychological counselors."""

__version__ = "0.1.0"
