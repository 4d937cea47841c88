"""Hydra configs of the classification task (model, data, experiment), shipped in the wheel."""
