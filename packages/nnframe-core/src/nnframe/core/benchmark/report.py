"""Benchmark records as JSON lines and as a Markdown table."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# (header, record key, format) of the Markdown table.
COLUMNS: list[tuple[str, str, str]] = [
    ("task", "task", "{}"),
    ("backbone", "backbone", "{}"),
    ("precision", "precision", "{}"),
    ("ch-last", "channels_last", "yn"),
    ("compile", "compile", "yn"),
    ("batch", "batch_size", "{}"),
    ("train img/s", "train_img_s", "{:.0f}"),
    ("train step ms p50/p90", "train_step_ms_median|train_step_ms_p90", "{:.1f}"),
    ("infer img/s", "infer_img_s", "{:.0f}"),
    ("infer ms p50/p90", "infer_ms_median|infer_ms_p90", "{:.1f}"),
    ("train peak MiB", "train_peak_mem_mb", "{:.0f}"),
    ("train GFLOP/img", "train_gflop_per_img", "{:.2f}"),
    ("train TFLOP/s", "train_tflop_s", "{:.3g}"),
    ("MFU", "train_mfu", "{:.1%}"),
    ("e2e loader img/s", "e2e_loader_img_s", "{:.0f}"),
    ("e2e on-device img/s", "e2e_on_device_img_s", "{:.0f}"),
]


def _cell(record: dict[str, Any], keys: str, fmt: str) -> str:
    values = [record.get(key) for key in keys.split("|")]
    if fmt == "yn":
        return "yes" if values[0] else "no"
    if all(v is None for v in values):
        return "–"
    return " / ".join("–" if v is None else fmt.format(v) for v in values)


def markdown_table(records: Iterable[dict[str, Any]]) -> str:
    """One row per record; skipped and failed cases show their note instead of figures."""
    records = list(records)
    lines = ["| " + " | ".join(h for h, _, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    notes: list[str] = []
    for record in records:
        cells = [_cell(record, keys, fmt) for _, keys, fmt in COLUMNS]
        if record.get("status", "ok") != "ok":
            cells[6:] = [f"{record['status']} [{len(notes) + 1}]"] + ["" for _ in COLUMNS[7:]]
            notes.append(record.get("note", ""))
        lines.append("| " + " | ".join(cells) + " |")
    if records:
        first = records[0]
        lines += ["", f"Device: {first.get('device_name')}; torch {first.get('torch')}"
                  + (f", CUDA {first['cuda']}, cuDNN {first.get('cudnn')}" if first.get("cuda") else "")
                  + f"; {first.get('warmup_steps')} warm-up steps, {first.get('repeats')} repeats of "
                  f"{first.get('steps')} steps (median)."]
    lines += [f"[{i}] {note}" for i, note in enumerate(notes, start=1)]
    return "\n".join(lines) + "\n"


def write_results(records: list[dict[str, Any]], directory: Path, title: str = "benchmark",
                  stem: str = "bench_results") -> tuple[Path, Path]:
    """Write ``<stem>.jsonl`` (one record per line) and ``<stem>.md`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    jsonl = directory / f"{stem}.jsonl"
    jsonl.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records), encoding="utf-8")
    markdown = directory / f"{stem}.md"
    markdown.write_text(f"# {title}\n\n{markdown_table(records)}", encoding="utf-8")
    return jsonl, markdown


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records of a ``.jsonl`` file written by :func:`write_results`."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
