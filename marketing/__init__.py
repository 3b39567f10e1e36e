"""Pure marketing logic: readability, the course quality checklist, keyword extraction."""
