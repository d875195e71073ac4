"""The training loop: seeded crops, AdamW with a cosine schedule, weight averaging.

Why an exponential moving average of the weights: with small batches on a CPU the last
step's weights wander; their running average is the better detector, for free.
"""

from __future__ import annotations

import copy
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from rich.console import Console
from rich.progress import Progress, TimeElapsedColumn

from dronewatch.thermal.boxes import BoxSet, decode_centres
from dronewatch.thermal.netinput import network_levels
from dronewatch.thermal.training.augment import Augment, random_crop
from dronewatch.thermal.training.evaluate import ap50, run_frames, scores_at
from dronewatch.thermal.training.hituav import LabelledFrame
from dronewatch.thermal.training.loss import centernet_loss
from dronewatch.thermal.training.net import CLASSES, STRIDE, CenterNet
from dronewatch.thermal.training.targets import render_targets

__all__ = ["TrainSettings", "export_onnx", "load_checkpoint", "network_input", "train"]

_AUGMENT = Augment()


@dataclass(frozen=True, slots=True)
class TrainSettings:
    epochs: int = 180  # the shipped model's (see training.__main__)
    batch: int = 32
    crops_per_image: int = 1
    learning_rate: float = 3e-3
    weight_decay: float = 5e-4
    warmup_steps: int = 200
    ema_decay: float = 0.998
    # channels at strides 4, 8 and 16, blocks at 16: the low-resolution stages are cheap
    # per parameter, and the 86k-parameter network under-fitted (train AP50 0.83, val 0.80)
    width: int = 32
    width8: int = 80
    width16: int = 160
    blocks16: int = 6
    seed: int = 0
    threads: int = 2
    eval_every: int = 20  # epochs; 0 = only at the end
    augment: Augment = _AUGMENT


def network_input(pixels: NDArray[np.uint8]) -> NDArray[np.float32]:
    """8-bit display levels to the network's input scale (about -2..2)."""
    return network_levels(pixels)[None, None]


def _batch(images: list[NDArray[np.uint8]], frames: list[LabelledFrame], picks: NDArray,
           rng: np.random.Generator, aug: Augment) -> tuple[torch.Tensor, ...]:
    pixels, heats, sizes, offsets, centres, ignores = [], [], [], [], [], []
    for k in picks:
        crop = random_crop(images[k], frames[k].boxes_px, frames[k].classes, rng, aug)
        t = render_targets(crop.boxes_px, crop.classes, aug.crop_px, STRIDE, len(CLASSES))
        pixels.append(network_input(crop.pixels)[0])
        heats.append(t.heat)
        sizes.append(t.size)
        offsets.append(t.offset)
        centres.append(t.centres)
        ignores.append(t.ignore)
    return tuple(torch.from_numpy(np.stack(a)) for a in
                 (pixels, heats, sizes, offsets, centres, ignores))


def torch_person_detector(model: torch.nn.Module) -> Callable[[NDArray[np.uint8]], BoxSet]:
    def detect(pixels: NDArray[np.uint8]) -> BoxSet:
        with torch.no_grad():
            out = model(torch.from_numpy(network_input(pixels)))[0].numpy()
        return decode_centres(out, len(CLASSES), STRIDE)
    return detect


def train(train_frames: list[LabelledFrame], val_frames: list[LabelledFrame],
          settings: TrainSettings, checkpoint: Path,
          log: Callable[[str], None] = print) -> torch.nn.Module:
    """Train and return the weight-averaged network; ``checkpoint`` is rewritten after
    every evaluation so a stopped run keeps its best-so-far."""
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    rng = np.random.default_rng(settings.seed)
    images = [frame.read_pixels() for frame in train_frames]
    model = _network(settings).to(memory_format=torch.channels_last)
    ema = copy.deepcopy(model).eval()
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim == 1 or name.endswith(".bias") else decay).append(p)
    optimiser = torch.optim.AdamW([{"params": decay, "weight_decay": settings.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=settings.learning_rate)
    per_epoch = math.ceil(len(images) * settings.crops_per_image / settings.batch)
    total = per_epoch * settings.epochs
    log(f"training: {len(images)} frames, {settings.epochs} epochs of {per_epoch} steps, "
        f"{sum(p.numel() for p in model.parameters()):,} parameters")
    started, step = time.monotonic(), 0
    bar = Progress(*Progress.get_default_columns(), TimeElapsedColumn(),
                   console=Console(stderr=True), disable=not sys.stderr.isatty())
    task = bar.add_task("training", total=total)
    bar.start()
    for epoch in range(settings.epochs):
        model.train()
        order = np.tile(rng.permutation(len(images)), settings.crops_per_image)
        running = {}
        for first in range(0, len(order), settings.batch):
            lr = settings.learning_rate * min(1.0, (step + 1) / settings.warmup_steps) \
                * 0.5 * (1 + math.cos(math.pi * step / total))
            for group in optimiser.param_groups:
                group["lr"] = lr
            pixels, heat, size, offset, centres, ignore = _batch(
                images, train_frames, order[first:first + settings.batch], rng, settings.augment)
            pixels = pixels.to(memory_format=torch.channels_last)
            losses = centernet_loss(model(pixels), heat, size, offset, centres, ignore,
                                    len(CLASSES))
            optimiser.zero_grad(set_to_none=True)
            losses["total"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optimiser.step()
            _update_ema(ema, model, min(settings.ema_decay, (1 + step) / (10 + step)))
            for key, value in losses.items():
                running[key] = running.get(key, 0.0) + float(value.detach())
            step += 1
            bar.advance(task)
            if step % 20 == 0 or step == total:
                elapsed = time.monotonic() - started
                n = (step - 1) % per_epoch + 1
                left = elapsed / step * (total - step)
                log(f"epoch {epoch + 1}/{settings.epochs} step {step}/{total} "
                    + " ".join(f"{k} {v / n:.3f}" for k, v in running.items())
                    + f" lr {lr:.2e} {step * settings.batch / elapsed:.1f} crops/s "
                    f"eta {left / 60:.1f} min")
        last = epoch + 1 == settings.epochs
        if last or (settings.eval_every and (epoch + 1) % settings.eval_every == 0):
            results = run_frames(val_frames, torch_person_detector(ema))[0]
            best = max((scores_at(results, t) for t in np.arange(0.1, 0.7, 0.05)),
                       key=lambda s: s.f1)
            log(f"val after epoch {epoch + 1}: AP50 {ap50(results):.3f}, best F1 {best.f1:.3f}"
                f" (recall {best.recall:.3f}, precision {best.precision:.3f})")
            torch.save({"settings": repr(settings), "epoch": epoch + 1,
                        "model": ema.state_dict()}, checkpoint)
    bar.stop()
    return ema


def _update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    with torch.no_grad():
        for e, m in zip(ema.state_dict().values(), model.state_dict().values(), strict=True):
            if e.dtype.is_floating_point:
                e.mul_(decay).add_(m.detach(), alpha=1 - decay)
            else:
                e.copy_(m)


def _network(settings: TrainSettings) -> CenterNet:
    return CenterNet(settings.width, settings.width8, settings.width16, settings.blocks16)


def load_checkpoint(path: Path, settings: TrainSettings) -> torch.nn.Module:
    """The weight-averaged network a training run saved."""
    model = _network(settings)
    model.load_state_dict(torch.load(path, map_location="cpu")["model"])
    return model.eval()


def export_onnx(model: torch.nn.Module, path: Path) -> None:
    """The network as ONNX (opset 18) for any height and width that are multiples of 16."""
    model.eval()
    rows, cols = torch.export.Dim("rows16", min=1, max=512), torch.export.Dim("cols16", min=1,
                                                                               max=512)
    torch.onnx.export(model, (torch.zeros(1, 1, 512, 640),), str(path), input_names=["pixels"],
                      output_names=["centres"], opset_version=18, dynamo=True,
                      dynamic_shapes={"x": {2: 16 * rows, 3: 16 * cols}}, external_data=False,
                      verbose=False)


def log_to(stream: object = sys.stdout) -> Callable[[str], None]:
    def log(line: str) -> None:
        print(time.strftime("%H:%M:%S ") + line, file=stream, flush=True)  # type: ignore[arg-type]
    return log
