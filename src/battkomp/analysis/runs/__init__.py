"""Model runs and scenarios: the input bundle built from the database, scenarios, runs executed
and read, and their pages under /analysis/."""
