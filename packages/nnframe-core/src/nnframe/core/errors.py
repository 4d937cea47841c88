"""User-facing errors: a message that says what was wrong and how to fix it."""


class NnframeError(Exception):
    """An error caused by the user's input (config, data, checkpoint).

    The command line prints only the message (no traceback), so the message must name
    the bad value and say how to fix it.
    """


class ConfigError(NnframeError):
    """A config value is missing, unknown or of the wrong type."""


class DatasetError(NnframeError):
    """A dataset is missing, empty, corrupt or inconsistent with the config."""


class CheckpointError(NnframeError):
    """A checkpoint is missing, corrupt, or belongs to another task or model."""


class TrainingError(NnframeError):
    """Training cannot go on (e.g. the loss became NaN); the message names the last good checkpoint."""
