"""User-facing errors: a message that says what was wrong and how to fix it."""


class NnframeError(Exception):
    """An error caused by the user's input (config, data, checkpoint).

    The command line prints only the message (no traceback), so the message must name
    the bad value and say how to fix it.
    """


def user_message(error: BaseException) -> str:
    """The message to show a user: for an error re-raised from a DataLoader worker, only the
    original message, without the worker's traceback that PyTorch puts in front of it."""
    message = str(error)
    if "Original Traceback" in message:
        last = message.rstrip().splitlines()[-1]
        prefix = f"{type(error).__module__}.{type(error).__name__}: "
        message = last.removeprefix(prefix).removeprefix(f"{type(error).__name__}: ")
    return message


class ConfigError(NnframeError):
    """A config value is missing, unknown or of the wrong type."""


class DatasetError(NnframeError):
    """A dataset is missing, empty, corrupt or inconsistent with the config."""


class CheckpointError(NnframeError):
    """A checkpoint is missing, corrupt, or belongs to another task or model."""


class TrainingError(NnframeError):
    """Training cannot go on (e.g. the loss became NaN); the message names the last good checkpoint."""
