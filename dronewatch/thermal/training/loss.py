"""CenterNet's loss: penalty-reduced focal loss on heat maps, L1 on sizes and offsets."""

from __future__ import annotations

import torch

__all__ = ["centernet_loss"]


def centernet_loss(output: torch.Tensor, heat: torch.Tensor, size: torch.Tensor,
                   offset: torch.Tensor, centres: torch.Tensor, ignore: torch.Tensor,
                   n_classes: int, size_weight: float = 1.0) -> dict[str, torch.Tensor]:
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
    size_l1 = ((output[:, n_classes:n_classes + 2] - size).abs() * mask).sum() / n_centres
    offset_l1 = ((output[:, n_classes + 2:n_classes + 4] - offset).abs() * mask).sum() / n_centres
    total = focal + size_weight * size_l1 + offset_l1
    return {"total": total, "focal": focal, "size": size_l1, "offset": offset_l1}
