"""The file formats of the course import and export: the columns (``columns``), the records a
reader produces (``records``), the readers (``readers``: CSV and XLSX; an openQ-cat reader is
to produce the same records) and the writers (``writers``: template and export).

Parsing and writing files only: what the records do to the catalogue (scoping, validation,
the review rule, the change log) is the workspace's course import service.
"""
