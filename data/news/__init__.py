"""Neuigkeiten: announcements from Miomente to partners, their reads and the weekly digest."""
