"""CenterNet's loss: penalty-reduced focal loss on heat maps, L1 on sizes and offsets, and
a GIoU term on the box each centre decodes to.

Why GIoU as well as L1: a person is 10-36 pixels across, so a box 2 pixels off on each
side already falls below IoU 0.5; L1 on log sizes and offsets weighs those errors
apart, GIoU weighs them as the operator's box (and AP50) sees them.
"""

from __future__ import annotations

import torch

__all__ = ["centernet_loss"]


def _corners(log_size: torch.Tensor, offset: torch.Tensor) -> tuple[torch.Tensor, ...]:
    w, h = log_size[:, 0].clamp(-3, 6).exp(), log_size[:, 1].clamp(-3, 6).exp()
    return (offset[:, 0] - w / 2, offset[:, 1] - h / 2,
            offset[:, 0] + w / 2, offset[:, 1] + h / 2)


def _giou(pred_size: torch.Tensor, pred_offset: torch.Tensor, size: torch.Tensor,
          offset: torch.Tensor) -> torch.Tensor:
    """Generalised IoU per cell of boxes given as log size and offset (cells)."""
    px0, py0, px1, py1 = _corners(pred_size, pred_offset)
    tx0, ty0, tx1, ty1 = _corners(size, offset)
    inter = ((torch.minimum(px1, tx1) - torch.maximum(px0, tx0)).clamp(min=0)
             * (torch.minimum(py1, ty1) - torch.maximum(py0, ty0)).clamp(min=0))
    union = (px1 - px0) * (py1 - py0) + (tx1 - tx0) * (ty1 - ty0) - inter
    hull = ((torch.maximum(px1, tx1) - torch.minimum(px0, tx0))
            * (torch.maximum(py1, ty1) - torch.minimum(py0, ty0)))
    return inter / union.clamp(min=1e-6) - (hull - union) / hull.clamp(min=1e-6)


def centernet_loss(output: torch.Tensor, heat: torch.Tensor, size: torch.Tensor,
                   offset: torch.Tensor, centres: torch.Tensor, ignore: torch.Tensor,
                   n_classes: int, size_weight: float = 1.0,
                   giou_weight: float = 2.0) -> dict[str, torch.Tensor]:
    """Losses of a batch; ``total`` is what to minimise.

    DontCare regions (``ignore``) add no penalty for firing there: the labellers could not
    tell what they are, so neither confident answer should be punished.
    """
    pred = output[:, :n_classes].clamp(1e-4, 1 - 1e-4)
    positive = heat.eq(1.0).float()
    negative = (1.0 - positive) * (1.0 - ignore[:, None])
    pos_loss = -(torch.log(pred) * (1 - pred) ** 2 * positive).sum()
    neg_loss = -(torch.log(1 - pred) * pred ** 2 * (1 - heat) ** 4 * negative).sum()
    n_pos = positive.sum().clamp(min=1.0)
    focal = (pos_loss + neg_loss) / n_pos
    mask = centres[:, None]
    n_centres = centres.sum().clamp(min=1.0)
    pred_size = output[:, n_classes:n_classes + 2]
    pred_offset = output[:, n_classes + 2:n_classes + 4]
    size_l1 = ((pred_size - size).abs() * mask).sum() / n_centres
    offset_l1 = ((pred_offset - offset).abs() * mask).sum() / n_centres
    giou = ((1.0 - _giou(pred_size, pred_offset, size, offset)) * centres).sum() / n_centres
    total = focal + size_weight * size_l1 + offset_l1 + giou_weight * giou
    return {"total": total, "focal": focal, "size": size_l1, "offset": offset_l1,
            "giou": giou}
