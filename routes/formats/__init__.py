"""Mission and route file formats, produced and parsed as strings and dicts (no file I/O)."""
