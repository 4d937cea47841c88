"""Tar shards (WebDataset): written from any file-based datamodule's checked splits, read back as a stream."""

from nnframe.core.data.shards.shard_index import INDEX_NAME, ShardIndex, SplitShards, read_index
from nnframe.core.data.shards.shard_stream import ShardStream, rank_shards, samples_per_rank
from nnframe.core.data.shards.shard_writer import write_shards
from nnframe.core.data.shards.webdataset_datamodule import ShardLoader, WebDatasetDataModule

__all__ = ["INDEX_NAME", "ShardIndex", "ShardLoader", "ShardStream", "SplitShards", "WebDatasetDataModule",
           "rank_shards", "read_index", "samples_per_rank", "write_shards"]
