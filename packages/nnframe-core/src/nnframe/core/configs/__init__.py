"""Shared Hydra configs (trainer, logger, callbacks, paths, debug, extras and the base run config).

A task's primary config adds them with ``hydra.searchpath: [pkg://nnframe.core.configs]``.
"""
