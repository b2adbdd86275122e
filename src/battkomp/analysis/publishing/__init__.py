"""Publishing: protected snapshots of finished runs, the public pages at /published/ and the API
operations on them.

- :mod:`~.tables`: the public tables and how each is protected (the overview of a snapshot);
  :mod:`~.contributions` (the survey's answers and the years they cannot dominate),
  :mod:`~.protection` (complementary suppression of a year's two-way table) and :mod:`~.advice`
  (measures, recruitment from abroad, recommendations) build parts of them.
- :mod:`~.snapshot`: every public table of a run, built once per distinct input;
  :mod:`~.queries`: what else a snapshot reads from the database.
- :mod:`~.actions`: ``do_publish_run`` stores a snapshot as the next version.
- :mod:`~.views` and :mod:`~.urls`: the public pages; :mod:`~.api`: the publications router.
"""
