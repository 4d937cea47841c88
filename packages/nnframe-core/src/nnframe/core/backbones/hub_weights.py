"""Pretrained weights from the Hugging Face Hub without a retry storm when there is no network.

Without network, ``huggingface_hub`` retries each request for about a minute (44 retry lines
over 52 s for one timm model) and then raises ``LocalEntryNotFoundError`` without the file's
name. Here the Hub is probed first with one short TCP connection; when it cannot be reached (or
``HF_HUB_OFFLINE=1``), the weights come from the local Hugging Face cache if they are there, and
otherwise one error names the weights and the manual fix (``model.pretrained_file=``).
"""

from __future__ import annotations

import socket
from functools import cache
from urllib.parse import urlsplit

from nnframe.core.errors import CheckpointError

CONNECT_TIMEOUT_S = 3.0
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")  # what timm looks for, in its order


@cache
def hub_reachable(endpoint: str | None = None, timeout: float = CONNECT_TIMEOUT_S) -> str | None:
    """None when a TCP connection to the Hub (``HF_ENDPOINT``) opens within ``timeout``, else why not."""
    from huggingface_hub import constants

    url = urlsplit(endpoint or constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return None
    except OSError as error:
        return f"{url.hostname}:{port} cannot be reached ({error.strerror or error})"


def offline_reason() -> str | None:
    """Why the Hub cannot be used now (``HF_HUB_OFFLINE=1``, or no connection), or None."""
    from huggingface_hub import constants

    if constants.is_offline_mode():
        return "HF_HUB_OFFLINE=1"
    return hub_reachable()


def cached_weights(repo_id: str) -> str | None:
    """The weights file of ``repo_id`` in the local Hugging Face cache, if it is there."""
    from huggingface_hub import try_to_load_from_cache

    for filename in WEIGHT_FILES:
        path = try_to_load_from_cache(repo_id, filename)
        if isinstance(path, str):
            return path
    return None


def weights_unavailable(repo_id: str, reason: str, key: str = "model.pretrained_file",
                        scratch: str = "model.pretrained=false") -> CheckpointError:
    """One line: which weights, why they cannot be downloaded, and how to give them by hand
    (``key``) or do without (``scratch``)."""
    return CheckpointError(
        f"cannot download the pretrained weights {repo_id} ({reason}) and they are not in the Hugging Face "
        f"cache: download https://huggingface.co/{repo_id}/resolve/main/{WEIGHT_FILES[0]} where there is network "
        f"and add {key}=/path/to/{WEIGHT_FILES[0]} (or {scratch} to train from scratch)")


def local_weights_or_raise(repo_id: str | None, scratch: str = "model.pretrained=false") -> str | None:
    """Where the Hub cannot be used: the cached weights file of ``repo_id`` (to load without any
    request), or :func:`weights_unavailable`. With the Hub reachable: None (download as usual).
    """
    if not repo_id:
        return None
    reason = offline_reason()
    if reason is None:
        return None
    cached = cached_weights(repo_id)
    if cached is None:
        raise weights_unavailable(repo_id, reason, scratch=scratch)
    return cached
