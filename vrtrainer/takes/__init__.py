"""Takes: recorded hand motion on disk (archives, takes, journals), trimming and importers."""
