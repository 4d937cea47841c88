"""The files ``nnframe init DIR`` writes (``__PKG__`` becomes the project's package name;
``.tmpl`` is dropped). See :mod:`nnframe.core.project_init`."""
