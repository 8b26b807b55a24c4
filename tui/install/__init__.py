"""Installers run at the end of onboarding (and from Home, key i)."""
