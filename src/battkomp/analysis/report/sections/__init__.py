"""The report's sections, one module each (or a few related ones): each builds its
:class:`~battkomp.analysis.report.structure.Section` from a
:class:`~battkomp.analysis.report.common.Context`."""
