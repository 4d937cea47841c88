"""nnframe's Hydra sweeper plugins (Hydra finds plugins only in the ``hydra_plugins`` namespace)."""
