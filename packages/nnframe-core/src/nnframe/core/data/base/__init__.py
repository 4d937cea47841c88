"""Base classes every task's data extends: the datamodule, the datasets, what a subclass must define, and reading image files."""
