"""A dataset download that fails (no network, a stalled connection) ends in one DatasetError
with the manual steps; while it runs a stalled connection times out instead of hanging."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from nnframe.core.data.base.dataset_download import DOWNLOAD_TIMEOUT_S, dataset_download
from nnframe.core.errors import DatasetError
from nnframe.core.testing import cut_network


def test_no_network_is_one_line_with_the_manual_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = cut_network(monkeypatch)
    with pytest.raises(DatasetError) as error, dataset_download("toyset", "put toy.tar.gz in /data/toy"):
        urllib.request.urlopen("https://example.org/toy.tar.gz")
    assert str(error.value) == ("cannot download toyset: <urlopen error [Errno -2] Name or service not known>. "
                                "Without a network: put toy.tar.gz in /data/toy, then run the command again")
    assert asked == ["example.org"]


def test_torchvision_mirror_report_is_shortened_to_one_line() -> None:
    report = ("Error downloading t10k.gz:\nTried https://a/, got:\n<urlopen error refused>\n"
              "Tried https://b/, got:\n<urlopen error timed out>\n")
    with pytest.raises(DatasetError, match=r"^cannot download mnist: Error downloading t10k.gz: "
                                           r"<urlopen error timed out>\. Without"), dataset_download("mnist", "x"):
        raise RuntimeError(report)


def test_connections_time_out_while_downloading_only() -> None:
    assert socket.getdefaulttimeout() is None
    with dataset_download("toyset", "x"):
        assert socket.getdefaulttimeout() == DOWNLOAD_TIMEOUT_S
    assert socket.getdefaulttimeout() is None


def test_a_bug_is_not_reported_as_a_download_failure() -> None:
    with pytest.raises(TypeError), dataset_download("toyset", "x"):
        raise TypeError("a bug")
