"""CODITECT Console: the terminal front door to the CODITECT Cloud API."""

__version__ = "0.1.0"
