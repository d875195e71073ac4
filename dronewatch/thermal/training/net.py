"""The person/vehicle network: a small CenterNet on two CPU cores.

Why this shape: people in UAV thermal frames are 10-36 pixels across, so the network
answers at a quarter of the input resolution (a 640x512 frame gives 160x128 cells) with
a heat map per class, a box size and a sub-cell offset for each centre. Depthwise-
separable residual blocks keep a full frame under ~0.2 GMAC so one CPU core runs a
30 Hz camera; a stride-16 stage with wide kernels adds the context (road, roof,
canopy) that tells a person from a lamp post or a skylight.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

__all__ = ["CLASSES", "STRIDE", "CenterNet"]

CLASSES = ("person", "car", "bicycle", "other_vehicle")
STRIDE = 4


def _conv_bn(c_in: int, c_out: int, kernel: int = 1, stride: int = 1, groups: int = 1,
             act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class _Block(nn.Module):
    """Depthwise kxk then pointwise, with a residual when the shape allows."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, kernel: int = 3) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv_bn(c_in, c_in, kernel, stride, groups=c_in),
            _conv_bn(c_in, c_out, act=False))
        self.residual = stride == 1 and c_in == c_out
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return self.act(y + x if self.residual else y)


class CenterNet(nn.Module):
    """Input (N, 1, H, W) display levels scaled to about [-2, 2]; H, W multiples of 16.

    Output (N, 4 + 2 + 2, H/4, W/4): class heat maps (sigmoid applied), log box size in
    cells (w, h), and centre offset in cells (x, y).
    """

    def __init__(self, width: int = 32, width8: int = 80, width16: int = 160,
                 blocks16: int = 6) -> None:
        super().__init__()
        w4, w8, w16 = width, width8, width16
        self.stem = nn.Sequential(  # dense convolutions: cheap at few channels, fast to train
            _conv_bn(1, 16, 3, 2), _conv_bn(16, w4, 3, 2), _conv_bn(w4, w4, 3))
        self.down8 = nn.Sequential(_conv_bn(w4, w8, 3, 2), _Block(w8, w8),
                                   _Block(w8, w8, kernel=5), _Block(w8, w8))
        self.down16 = nn.Sequential(_Block(w8, w16, 2), *(_Block(w16, w16, kernel=5)
                                                          for _ in range(blocks16 - 1)))
        self.lat8 = _conv_bn(w16, w8, act=False)
        self.lat4 = _conv_bn(w8, w4, act=False)
        self.fuse8 = _Block(w8, w8)
        head = 32
        self.neck = _conv_bn(w4, head, 3)
        self.heat = nn.Conv2d(head, len(CLASSES), 1)
        self.size = nn.Conv2d(head, 2, 1)
        self.offset = nn.Conv2d(head, 2, 1)
        nn.init.constant_(self.heat.bias, -4.6)  # start near p=0.01: few centres per frame

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c4 = self.stem(x)
        c8 = self.down8(c4)
        c16 = self.down16(c8)
        p8 = self.fuse8(c8 + functional.interpolate(self.lat8(c16), scale_factor=2.0))
        f = self.neck(c4 + functional.interpolate(self.lat4(p8), scale_factor=2.0))
        return torch.cat([torch.sigmoid(self.heat(f)), self.size(f), self.offset(f)], dim=1)
