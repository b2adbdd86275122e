"""Dashboards: the public dashboard of a publication, the analysts' dashboard of a run, and the
institution and company views over the latest publication."""
