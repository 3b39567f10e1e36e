"""Neuigkeiten: not built yet; its issue fills this page."""

from components.layout import coming_soon

coming_soon()
