"""Hydra configs of nnframe-det (a package so that they ship inside the wheel)."""
