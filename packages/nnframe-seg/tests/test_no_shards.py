"""``nnframe seg shard`` refuses in one line: image + mask shards are not supported, train from the
mask folder (the hint composes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnframe.core import cli, compose
from nnframe.core.errors import ConfigError


def test_seg_shard_refuses_and_names_the_mask_folder_command(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))
    assert cli.main(["seg", "shard"]) != 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("nnframe: error: nnframe seg shard: image + mask shards are not")
    assert "train from the mask folder: nnframe seg train data=mask_folder data.root=<folder>" in line
    with pytest.raises(ConfigError, match="train from the mask folder"):
        compose("seg", [], action="shard")
    cfg = compose("seg", ["data=mask_folder", f"data.root={tmp_path}"])  # the hint's command composes
    assert cfg.data._target_ == "nnframe.seg.data.MaskFolderDataModule"
