"""Excel and CSV round-trip: templates to download, uploads to import, exports to read."""
