"""The embedded shapes data: generated in memory, nothing to download."""
