"""The benchmark suite of a task: every case of ``cfg.bench`` measured and written out."""

from __future__ import annotations

import contextlib
import copy
import gc
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lightning as L
import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from nnframe.core.benchmark.bench_case import BenchCase, expand_cases
from nnframe.core.benchmark.device_info import device_info, resolve_device
from nnframe.core.benchmark.gpu_peaks import peak_tflops, precision_kind
from nnframe.core.benchmark.measure import measure_inference, measure_training, precision_unsupported
from nnframe.core.benchmark.report import markdown_table, write_results
from nnframe.core.benchmark.synthetic_batch import RepeatedBatch, first_images, map_tensors
from nnframe.core.errors import ConfigError
from nnframe.core.modules.not_applicable import not_applicable
from nnframe.core.training.instantiate import build_datamodule, build_model

log = logging.getLogger(__name__)

DATA_PATHS = ("loader", "on_device")


def _case_config(cfg: DictConfig, case: BenchCase, batch_size: int) -> DictConfig:
    case_cfg = copy.deepcopy(cfg)
    with open_dict(case_cfg):
        for key, value in case.model_overrides.items():
            # Replaced, not merged: a case's mapping (arch_kwargs, method) must not inherit the keys of
            # the task's default one (an smp U-Net given the seg demo's decoder widths and stride).
            OmegaConf.update(case_cfg.model, key, value, merge=False)
        if case.compile:
            if "compile" not in case_cfg.model:
                raise ConfigError("bench.compile=[true] needs a model config with a `compile` key")
            case_cfg.model.compile = True
        case_cfg.data.batch_size = batch_size
    return case_cfg


def _bench_data_config(cfg: DictConfig, on_device: bool | None) -> DictConfig:
    """``cfg`` with ``bench.data`` applied (keys the data config lacks are ignored)."""
    data_cfg = copy.deepcopy(cfg)
    with open_dict(data_cfg):
        for key, value in (cfg.bench.get("data") or {}).items():
            if key in data_cfg.data:
                data_cfg.data[key] = value
        data_cfg.data.batch_size = int(cfg.bench.batch_size) if str(cfg.bench.batch_size).isdigit() else 32
        if on_device is not None:
            data_cfg.data.on_device = on_device
    return data_cfg


class _OnceFilter(logging.Filter):
    """Lets each of Lightning's device lines ("GPU available: False, used: False") through once."""

    LINES = ("GPU available", "TPU available", "HPU available")

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(self.LINES):
            return True
        if message in self.seen:
            return False
        self.seen.add(message)
        return True


@contextlib.contextmanager
def _device_lines_once() -> Iterator[None]:
    """Lightning logs its device lines from ``lightning.pytorch.utilities.rank_zero`` whenever a
    Trainer is built: once for the whole suite, not three times per case."""
    logger = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    once = _OnceFilter()
    logger.addFilter(once)
    try:
        yield
    finally:
        logger.removeFilter(once)


def _release_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class BenchmarkSuite:
    """Measures every case of ``cfg.bench`` for the task whose config ``cfg`` is.

    Figures per case: training throughput and step latency on a synthetic device-resident
    batch, inference throughput and latency, peak device memory, FLOPs per image (from
    ``FlopCounterMode``), achieved TFLOP/s and MFU where the GPU's peak is known, and
    end-to-end training throughput through the real datamodule (per-image loader and, where
    the data supports it, ``data.on_device``).

    Args:
        cfg: the task's composed config with a ``bench`` node (see ``configs/bench/``).
    """

    def __init__(self, cfg: DictConfig) -> None:
        if "bench" not in cfg or cfg.bench is None:
            raise ConfigError("no bench config: add bench=default (or bench=cpu_tiny) to the command line")
        self.cfg = cfg
        self.bench = cfg.bench
        self.device = resolve_device(str(self.bench.get("device", "auto")))
        self.info = device_info(self.device)
        self._datamodules: dict[str, Any] = {}
        self._flops_per_image: dict[tuple[str, str], float | None] = {}
        if self.device.type == "cuda" and self.bench.get("float32_matmul_precision"):
            torch.set_float32_matmul_precision(str(self.bench.float32_matmul_precision))

    # --- data -------------------------------------------------------------------------------

    def datamodule(self, path: str) -> Any:
        """The datamodule for ``path`` (``loader`` or ``on_device``), built once."""
        if path not in self._datamodules:
            on_device = None if path == "loader" and "on_device" not in self.cfg.data else path == "on_device"
            self._datamodules[path] = build_datamodule(_bench_data_config(self.cfg, on_device), stage="fit")
        return self._datamodules[path]

    def example_batch(self) -> Any:
        """One real training batch (for the structure of the synthetic one)."""
        return next(iter(self.datamodule("loader").train_dataloader()))

    def synthetic_batch(self, module: Any, batch_size: int) -> Any:
        """The task module's synthetic batch of ``batch_size`` (``TaskModule.synthetic_batch``,
        shaped like a real training batch), on the benchmark's device."""
        data = self.datamodule("loader")
        image_size = data.image_size if isinstance(data.image_size, int) else int(self.cfg.data.image_size)
        batch = module.synthetic_batch(batch_size, image_size, int(data.in_channels), int(data.num_classes),
                                       example=self.example_batch())
        return map_tensors(batch, lambda t: t.to(self.device))

    # --- cases ------------------------------------------------------------------------------

    def _module(self, case: BenchCase, batch_size: int) -> L.LightningModule:
        L.seed_everything(int(self.cfg.get("seed", 0)), verbose=False)
        case_cfg = _case_config(_bench_data_config(self.cfg, None), case, batch_size)
        return build_model(case_cfg, self.datamodule("loader").class_names)

    def _train_kwargs(self, case: BenchCase, batch_size: int) -> dict[str, Any]:
        return {
            "warmup_steps": int(self.bench.warmup_steps),
            "steps": int(self.bench.steps),
            "repeats": int(self.bench.repeats),
            "batch_size": batch_size,
            "channels_last": case.channels_last,
            "cudnn_benchmark": bool(self.bench.get("cudnn_benchmark", True)),
        }

    def find_batch_size(self, case: BenchCase) -> int:
        """The largest power of two (from ``bench.batch_size`` start, up to ``max_batch_size``)
        whose training step fits in GPU memory."""
        start, limit = int(self.bench.get("min_batch_size", 8)), int(self.bench.get("max_batch_size", 1024))
        best, size = 0, start
        while size <= limit:
            try:
                module = self._module(case, size)
                batch = self.synthetic_batch(module, size)
                measure_training(module, self.device, case.precision, warmup_steps=1, steps=1,
                                 repeats=1, batch_size=size, channels_last=case.channels_last,
                                 train_dataloaders=RepeatedBatch(batch, 2))
                best, size = size, size * 2
            except torch.cuda.OutOfMemoryError:
                break
            finally:
                _release_memory()
        if best == 0:
            raise ConfigError(f"{case.name}: even batch size {start} does not fit; lower bench.min_batch_size")
        return best

    def run_case(self, case: BenchCase) -> dict[str, Any]:
        """Measure one case; returns its record (``status`` ok, skipped or failed)."""
        record: dict[str, Any] = {
            "task": self.cfg.get("task_name"), "backbone": case.name, "model_overrides": case.model_overrides,
            "precision": case.precision, "channels_last": case.channels_last, "compile": case.compile,
            **self.info, "status": "ok", "note": "",
            "warmup_steps": int(self.bench.warmup_steps), "steps": int(self.bench.steps),
            "repeats": int(self.bench.repeats), "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        reason = precision_unsupported(case.precision, self.device)
        if reason:
            return {**record, "status": "skipped", "note": reason}
        if case.compile and self.device.type == "cpu" and not self.bench.get("compile_on_cpu", False):
            return {**record, "status": "skipped", "note": "compile skipped on CPU (set bench.compile_on_cpu=true)"}
        try:
            record.update(self._measure(case))
        except (RuntimeError, torch.cuda.OutOfMemoryError) as error:  # OOM, compile failure: keep the suite going
            log.warning("%s %s failed: %s", case.name, case.precision, error)
            record.update(status="failed", note=str(error).splitlines()[0][:300])
        finally:
            _release_memory()  # the next case starts from an empty device
        return record

    def _measure(self, case: BenchCase) -> dict[str, Any]:
        auto = str(self.bench.batch_size) == "max"
        if auto and self.device.type != "cuda":
            raise ConfigError("bench.batch_size=max needs a GPU; give a number on the CPU")
        batch_size = self.find_batch_size(case) if auto else int(self.bench.batch_size)
        module = self._module(case, batch_size)
        batch = self.synthetic_batch(module, batch_size)
        inputs: torch.Tensor | list[torch.Tensor] | None
        try:
            images: torch.Tensor | None = first_images(batch)
            inputs = images
        except ValueError:  # a list of images of several sizes (detection): the task says what they are
            images = None
            inputs = module.batch_images(batch) if hasattr(module, "batch_images") else None
            if not isinstance(inputs, list | tuple) or not all(isinstance(i, torch.Tensor) for i in inputs):
                inputs = None
                not_applicable("inference benchmark", "the task's batches hold no image tensors")
        # FLOPs do not depend on precision or memory format: count once per backbone (eagerly).
        flop_key = (case.name, "train")
        count = flop_key not in self._flops_per_image and not case.compile and bool(self.bench.get("flops", True))
        kwargs = self._train_kwargs(case, batch_size)
        train = measure_training(module, self.device, case.precision, count_flops=count,
                                 train_dataloaders=RepeatedBatch(batch, 10**9), **kwargs)
        if count:
            self._flops_per_image[flop_key] = train["flops"] / batch_size if train["flops"] else None
        out: dict[str, Any] = {
            "batch_size": batch_size, "batch_size_mode": "max" if auto else "fixed",
            "input_shape": list(images.shape[1:]) if images is not None else None,
            "train_img_s": train["img_s"], "train_step_ms_median": train["ms_median"],
            "train_step_ms_p90": train["ms_p90"], "train_peak_mem_mb": train["peak_mem_mb"],
        }
        if self.bench.get("inference", True) and inputs is not None:
            infer_key = (case.name, "infer")
            count = infer_key not in self._flops_per_image and not case.compile and bool(self.bench.get("flops", True))
            infer = measure_inference(module, list(inputs) if isinstance(inputs, tuple) else inputs, self.device,
                                      case.precision,
                                      warmup_steps=kwargs["warmup_steps"], steps=kwargs["steps"],
                                      repeats=kwargs["repeats"], channels_last=case.channels_last, count_flops=count)
            if count:
                self._flops_per_image[infer_key] = infer["flops"] / len(inputs) if infer["flops"] else None
            out.update(infer_img_s=infer["img_s"], infer_ms_median=infer["ms_median"],
                       infer_ms_p90=infer["ms_p90"], infer_peak_mem_mb=infer["peak_mem_mb"])
        del module
        out.update(self._flop_figures(case, out))
        for path in self.bench.get("end_to_end") or []:
            out[f"e2e_{path}_img_s"] = self._end_to_end(case, path, batch_size, kwargs)
        return out

    def _flop_figures(self, case: BenchCase, out: dict[str, Any]) -> dict[str, Any]:
        tf32 = self.device.type == "cuda" and (torch.get_float32_matmul_precision() != "highest"
                                               or torch.backends.cudnn.allow_tf32)
        kind = precision_kind(case.precision, tf32)
        peak = peak_tflops(self.info["device_name"], kind) if self.device.type == "cuda" else None
        figures: dict[str, Any] = {"peak_kind": kind, "peak_tflop_s": peak}
        for stage in ("train", "infer"):
            per_image = self._flops_per_image.get((case.name, stage))
            rate = out.get(f"{stage}_img_s")
            figures[f"{stage}_gflop_per_img"] = per_image / 1e9 if per_image else None
            achieved = per_image * rate / 1e12 if per_image and rate else None
            figures[f"{stage}_tflop_s"] = achieved
            figures[f"{stage}_mfu"] = achieved / peak if achieved and peak else None
        return figures

    def _end_to_end(self, case: BenchCase, path: str, batch_size: int, kwargs: dict[str, Any]) -> float | None:
        """Training img/s with the real datamodule; None when the data has no ``on_device`` option."""
        if path not in DATA_PATHS:
            raise ConfigError(f"bench.end_to_end has {path!r}; choose from {', '.join(DATA_PATHS)}")
        if path == "on_device" and "on_device" not in self.cfg.data:
            return None
        datamodule = self.datamodule(path)
        datamodule.batch_size = batch_size
        steps = int(self.bench.get("end_to_end_steps", kwargs["steps"]))
        result = measure_training(self._module(case, batch_size), self.device, case.precision,
                                  datamodule=datamodule, **{**kwargs, "steps": steps})
        return result["img_s"]

    def run(self) -> list[dict[str, Any]]:
        """Measure every case and write ``bench_results.jsonl`` / ``.md`` to ``bench.output_dir``."""
        records = []
        cases = expand_cases(self.bench)
        with _device_lines_once():  # every case builds Trainers, each logging "GPU available: ..."
            for number, case in enumerate(cases, start=1):
                log.info("case %d/%d: %s %s%s%s", number, len(cases), case.name, case.precision,
                         ", channels_last" if case.channels_last else "", ", compile" if case.compile else "")
                records.append(self.run_case(case))
        print(markdown_table(records))
        output_dir = self.bench.get("output_dir")
        if output_dir:
            jsonl, markdown = write_results(records, Path(output_dir),
                                            title=f"nnframe {self.cfg.get('task_name')} bench")
            print(f"results: {markdown} (table), {jsonl} (one record per case)", flush=True)
        return records


def run_benchmark(cfg: DictConfig) -> list[dict[str, Any]]:
    """Run the suite of ``cfg`` (a task config with a ``bench`` node); returns the records."""
    return BenchmarkSuite(cfg).run()


def _suite_choice() -> str | None:
    """The ``bench=`` option the command line composed (None outside the ``nnframe`` command)."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None
    return HydraConfig.get().runtime.choices.get("bench")


def check_suite_fits_device(cfg: DictConfig, suite: str | None, cuda: bool) -> None:
    """The default suite is the GPU one (several backbones at 224 px: hours on a CPU): without a
    GPU it is refused with the CPU suite's command, unless ``bench.device`` asks for the CPU.

    Raises:
        ConfigError: naming ``bench=cpu_tiny`` and ``bench.device=cpu``.
    """
    if suite == "default" and not cuda and str(cfg.bench.get("device", "auto")) == "auto":
        task = cfg.get("task_name") or "<task>"
        raise ConfigError(f"no GPU here, and bench=default is the GPU suite ({len(cfg.bench.backbones)} backbones at "
                          f"{(cfg.bench.get('data') or {}).get('image_size', '?')} px: hours on a CPU); run the CPU "
                          f"suite: nnframe {task} bench bench=cpu_tiny (or add bench.device=cpu to run this one "
                          "on the CPU anyway)")


def bench_from_cli(cfg: DictConfig) -> None:
    """What ``nnframe <task> bench`` runs."""
    check_suite_fits_device(cfg, _suite_choice(), torch.cuda.is_available())
    run_benchmark(cfg)
