"""The report of a published run: its structure (sections, numbered tables and figures) built
per language, and one writer each for HTML, PDF (Typst) and XLSX."""
