"""plenary: live transcript and remote participation for formal meetings."""

__version__ = "0.1.0"
