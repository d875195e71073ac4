"""``python -m dronewatch.thermal.training``: train, export to ONNX, quantize, calibrate on val."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dronewatch.thermal.training.hituav import LabelledFrame, load_split
from dronewatch.thermal.training.quantize import (
    FLOAT32_SUFFIX,
    quantize_centre_network,
    quantize_refiners,
)

if TYPE_CHECKING:
    from dronewatch.thermal.training.refiner import RefinerSettings

MODEL_NAME = "thermal-centernet"
#: The defaults are the shipped model's, so that the command reproduces it: about 2 h 45
#: min on a 2-core machine (108 + 32 + 25). Cut towards two hours (90 / 12 / 10 epochs:
#: still 2 h 06 min here) val AP50 fell from 0.895 to 0.864 (model card).
CENTRE_EPOCHS = 180
REFINER_EPOCHS = 16
SECOND_STAGE_EPOCHS = 12
REFINER_NAME = "thermal-refiner"
#: the networks as trained, before quantization (kept: the int8 files are made from them)
FLOAT_NAME = f"{MODEL_NAME}{FLOAT32_SUFFIX}"


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dronewatch.thermal.training",
                                     description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="HIT-UAV folder")
    parser.add_argument("--out", type=Path, required=True, help="folder for the model files")
    parser.add_argument("--epochs", type=int, default=CENTRE_EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0,
                        help="use only the first N frames of each split (smoke tests)")
    parser.add_argument("--eval-every", type=int, default=20)
    parser.add_argument("--flip-average", action="store_true",
                        help="calibrate (and run) with the mirrored frame averaged in")
    parser.add_argument("--from-checkpoint", type=Path,
                        help="skip training: export and calibrate this checkpoint (.pt)")
    parser.add_argument("--refiner-epochs", type=int, default=REFINER_EPOCHS,
                        help="epochs of the person refiner (0: none)")
    parser.add_argument("--refiner-stages", type=int, choices=(1, 2), default=2,
                        help="stages of the person refiner (the second learns from the first)")
    parser.add_argument("--second-stage-epochs", type=int, default=SECOND_STAGE_EPOCHS,
                        help="epochs of the refiner's second stage")
    parser.add_argument("--refiner-bfloat16", action="store_true",
                        help="train the refiner's stages in bfloat16: 1.4x faster where the "
                             "CPU has it natively (AMX, AVX-512 BF16); see the model card")
    parser.add_argument("--refine-only", action="store_true",
                        help="keep the centre network already in --out; train its refiner")
    parser.add_argument("--second-stage-only", action="store_true",
                        help="keep the centre network and the refiner's first stage already "
                             "in --out; train the second stage")
    parser.add_argument("--quantize-only", action="store_true",
                        help=f"keep the float32 centre network ({FLOAT_NAME}.onnx) and "
                             "refiner stages already in --out; quantize them again and "
                             "recalibrate")
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("training needs PyTorch: pip install -e '.[train]'", file=sys.stderr)
        return 1
    from dronewatch.thermal.training.refiner import native_bfloat16

    if args.refiner_bfloat16 and not native_bfloat16():
        print("--refiner-bfloat16: this CPU has no native bfloat16 (emulated, it would be "
              "slower than float32); train without it", file=sys.stderr)
        return 1
    from dronewatch.thermal.training.train import (
        TrainSettings,
        export_onnx,
        load_checkpoint,
        log_to,
        train,
    )

    started = time.monotonic()
    commit = _commit()  # the tree the run starts from: HEAD may move during a long run
    train_frames, val_frames = (load_split(args.data, s) for s in ("train", "val"))
    if args.limit:
        train_frames, val_frames = train_frames[:args.limit], val_frames[:args.limit]
    args.out.mkdir(parents=True, exist_ok=True)
    log = log_to()
    onnx_path = args.out / f"{MODEL_NAME}.onnx"
    command = "python -m dronewatch.thermal.training " + " ".join(argv or sys.argv[1:])
    from dronewatch.thermal.training.calibrate import calibrate  # needs the run time only

    sidecar_path = onnx_path.with_suffix(".json")
    sidecar = json.loads(sidecar_path.read_text()) if sidecar_path.is_file() else {}
    float_path = args.out / f"{FLOAT_NAME}.onnx"
    if args.quantize_only:
        return _quantize_only(float_path, onnx_path, sidecar, train_frames, val_frames,
                              {"commit": commit, "command": command}, log)
    if args.refine_only or args.second_stage_only:
        if not sidecar or (args.second_stage_only and "refiner" not in sidecar):
            print(f"{sidecar_path}: --refine-only needs the centre network "
                  "and its sidecar in --out (--second-stage-only also its refiner)",
                  file=sys.stderr)
            return 1
        training = sidecar["training"]
    else:
        settings = TrainSettings(epochs=args.epochs, seed=args.seed, eval_every=args.eval_every)
        if args.from_checkpoint:
            model = load_checkpoint(args.from_checkpoint, settings)
        else:
            model = train(train_frames, val_frames, settings, args.out / f"{MODEL_NAME}.pt", log)
        export_onnx(model, float_path)
        log(f"exported {float_path}")
        training = {"commit": commit, "seed": args.seed, "epochs": args.epochs,
                    "train_frames": len(train_frames), "command": command,
                    "quantized": quantize_centre_network(float_path, onnx_path, train_frames,
                                                         log)}
        calibrate(onnx_path, val_frames, training, log, flip_average=args.flip_average)
    if args.refiner_epochs:
        run = {"commit": commit, "seed": args.seed, "command": command}
        _train_refiners(args, onnx_path, sidecar, training, run, train_frames, val_frames, log)
    log(f"done in {(time.monotonic() - started) / 60:.1f} min")
    return 0


def _quantize_only(float_path: Path, onnx_path: Path, sidecar: dict[str, Any],
                   train_frames: list[LabelledFrame], val_frames: list[LabelledFrame],
                   run: dict[str, Any], log: Callable[[str], None]) -> int:
    """Quantize the float32 networks in --out again (the centre network and the refiner's
    stages) and recalibrate the detector as it then runs; ``run`` (commit, command) is
    recorded."""
    from dronewatch.thermal.training.calibrate import calibrate

    if not sidecar or not float_path.is_file():
        print(f"{float_path}: --quantize-only needs the float32 centre network and its "
              "sidecar in --out", file=sys.stderr)
        return 1
    training = {**sidecar["training"],
                "quantized": {**quantize_centre_network(float_path, onnx_path, train_frames,
                                                        log), **run}}
    refiner = sidecar.get("refiner")
    if refiner is not None:
        refiner, done = quantize_refiners(onnx_path, train_frames, log)
        training["refiners_quantized"] = {**done, **run}
    calibrate(onnx_path, val_frames, training, log,
              flip_average=sidecar.get("flip_average", False), refiner=refiner)
    return 0


def _train_refiners(args: argparse.Namespace, onnx_path: Path, sidecar: dict[str, Any],
                    training: dict[str, Any], run: dict[str, Any],
                    train_frames: list[LabelledFrame], val_frames: list[LabelledFrame],
                    log: Callable[[str], None]) -> None:
    """Train the refiner's stages the arguments ask for, each calibrated as it lands;
    ``run`` (commit, seed, command) is written beside each stage's epochs."""
    from dronewatch.thermal.training.calibrate import calibrate
    from dronewatch.thermal.training.refiner import SECOND_STAGE, RefinerSettings

    first_stage = 1 if args.second_stage_only else 0
    stages = [RefinerSettings(epochs=args.refiner_epochs, seed=args.seed,
                              bfloat16=args.refiner_bfloat16),
              replace(SECOND_STAGE, epochs=args.second_stage_epochs, seed=args.seed,
                      bfloat16=args.refiner_bfloat16)]
    refiner = {k: v for k, v in sidecar.get("refiner", {}).items() if k != "second_stage"}
    for stage in range(first_stage, args.refiner_stages):
        entry = _train_refiner(onnx_path, train_frames, stages[stage], stage, log)
        refiner = entry if stage == 0 else {**refiner, "second_stage": entry}
        key = "refiner" if stage == 0 else "refiner_second_stage"
        training = {**training, key: {**run, "epochs": stages[stage].epochs,
                                      "bfloat16": stages[stage].bfloat16}}
        calibrate(onnx_path, val_frames, training, log, flip_average=args.flip_average,
                  refiner=refiner)
    refiner, done = quantize_refiners(onnx_path, train_frames, log)
    training = {**training, "refiners_quantized": {**done, **run}}
    calibrate(onnx_path, val_frames, training, log, flip_average=args.flip_average,
              refiner=refiner)


def _train_refiner(onnx_path: Path, train_frames: list[LabelledFrame],
                   settings: RefinerSettings, stage: int, log: Callable[[str], None],
                   ) -> dict[str, Any]:
    """Train stage ``stage`` (0: the first) of the person refiner on the candidates of the
    centre network and the stages before it; its sidecar entry.

    Why the networks as trained (float32; the stages before this one too), not the int8
    ones that run: they are what the shipped refiners learned from, so the command makes
    them again; and the int8 network's heat maps (its answers on 8 bits, as it ran
    then) held twice as many weak peaks (0.05-0.1) and 13 % more cells
    from 0.1 (8 % more from 0.15, where the run time looks), which the refiner would
    spend a third more time on (221,101 candidates in the train frames against
    166,485). On val the float32-trained refiners behind the int8 network: AP50 0.8957;
    both stages retrained on the int8 network's candidates: 0.8917 (model card)."""
    from dronewatch.thermal.learned import BoxDetector
    from dronewatch.thermal.training.refiner import export_refiner, train_refiner

    detector = BoxDetector(onnx_path, calibrated=False, refine_stages=stage, as_trained=True)
    model = train_refiner(detector, train_frames, settings, log)
    path = onnx_path.with_name(
        f"{REFINER_NAME}{'' if stage == 0 else stage + 1}{FLOAT32_SUFFIX}.onnx")
    export_refiner(model, path, settings.geometry.patch_px)
    log(f"exported {path}")
    if stage > 0:
        return {"file": path.name, "min_score": settings.min_raw_score}
    geometry = settings.geometry
    return {"file": path.name, "patch_px": geometry.patch_px, "context": geometry.context,
            "min_side_px": geometry.min_side_px, "min_raw_score": settings.min_raw_score,
            "duplicate_iou": settings.duplicate_iou, "decay_repeats": settings.decay_repeats,
            "mirror_average": settings.mirror_average, "repeat_iou": settings.repeat_iou}


if __name__ == "__main__":
    sys.exit(main())
