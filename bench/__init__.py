"""Speed measurements: run as `python -m bench.<name>` from the project root; they print."""
