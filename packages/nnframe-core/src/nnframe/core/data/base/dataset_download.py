"""Running a dataset's download (torchvision's code) so that a failure, such as no network, ends
in one line that says where to put the files by hand, not in urllib's traceback."""

from __future__ import annotations

import http.client
import socket
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

from nnframe.core.errors import DatasetError

# A connection that stalls fails after this many seconds instead of hanging: torchvision's
# downloads open their URLs without a timeout. Per socket operation, so a slow but moving
# download is not cut.
DOWNLOAD_TIMEOUT_S = 30.0

# What a failed download raises: urllib's URLError/HTTPError, socket errors and timeouts (all
# OSError), torchvision's RuntimeError once every mirror failed or a checksum differs, a broken
# connection mid-transfer, and a damaged archive.
_DOWNLOAD_ERRORS = (OSError, RuntimeError, http.client.HTTPException, tarfile.TarError, zipfile.BadZipFile, EOFError)


def _reason(error: BaseException) -> str:
    """The cause in one line: ``Error downloading x.gz: <urlopen error [Errno -2] ...>`` for
    torchvision's report of several mirrors, urllib's reason for a URLError."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    reason = lines[0].rstrip(":")
    return f"{reason}: {lines[-1]}" if len(lines) > 1 else reason


@contextmanager
def dataset_download(name: str, manual: str) -> Iterator[None]:
    """Run the download inside; a failure becomes a :class:`DatasetError` naming ``name``, the
    cause and ``manual`` (how to get the files by hand: the archive's URL, the folder and the
    files it must hold).

    Example::

        with dataset_download("cifar10", "download ... and extract it under data/"):
            datasets.CIFAR10("data", download=True)

    Raises:
        DatasetError: the download failed (no network, a refused or stalled connection, a
            damaged archive).
    """
    previous = socket.getdefaulttimeout()
    if previous is None:
        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        yield
    except _DOWNLOAD_ERRORS as error:
        raise DatasetError(f"cannot download {name}: {_reason(error)}. Without a network: {manual}, "
                           "then run the command again") from error
    finally:
        socket.setdefaulttimeout(previous)
