"""A small 2-D U-Net denoiser for log-mel windows (after teticio/audio-diffusion and DDPM).

ResNet blocks with GroupNorm and SiLU, a sinusoidal time embedding added in every
block, strided-conv downsampling and nearest-neighbour upsampling followed by a
conv, skip connections by concatenation. Fully convolutional in time, so one model
serves any window whose frame count is a multiple of ``2 ** (len(channels) - 1)``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class UNetConfig:
    """Shape of the network; saved with checkpoints and in the ONNX metadata."""

    channels: tuple[int, ...] = (16, 32, 64)
    blocks_per_level: int = 1
    time_dim: int = 128
    groups: int = 8
    mid_attention: bool = False
    cond_channels: int = 0  # control planes stacked on the input (bridge.controls); 0: unconditional

    @classmethod
    def from_dict(cls, d: dict) -> "UNetConfig":
        d = dict(d)
        d["channels"] = tuple(d["channels"])
        d.setdefault("cond_channels", 0)
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def frame_multiple(self) -> int:
        return 2 ** (len(self.channels) - 1)


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of (possibly fractional) timesteps (Vaswani et al. 2017)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, time_dim: int, groups: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(min(groups, c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.time = nn.Linear(time_dim, c_out)
        self.norm2 = nn.GroupNorm(min(groups, c_out), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time(emb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class Attention(nn.Module):
    """Single-head self-attention over all positions (used at the lowest level only)."""

    def __init__(self, c: int, groups: int):
        super().__init__()
        self.norm = nn.GroupNorm(min(groups, c), c)
        self.qkv = nn.Conv2d(c, 3 * c, 1)
        self.out = nn.Conv2d(c, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        attn = torch.softmax(q.transpose(1, 2) @ k / math.sqrt(c), dim=-1)
        return x + self.out((v @ attn.transpose(1, 2)).reshape(b, c, h, w))


class UNet(nn.Module):
    """Predicts the diffusion target (v or eps) for a noisy window ``x`` at timestep ``t``.

    x: (batch, 1, n_mels, n_frames); t: (batch,) float timesteps in [0, T); with
    ``cond_channels``, cond: (batch, cond_channels, n_mels, n_frames), all zero for "no controls".
    """

    def __init__(self, config: UNetConfig = UNetConfig()):
        super().__init__()
        self.config = config
        ch, td, g = config.channels, config.time_dim, config.groups
        self.time_mlp = nn.Sequential(nn.Linear(td, td), nn.SiLU(), nn.Linear(td, td))
        self.conv_in = nn.Conv2d(1 + config.cond_channels, ch[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        skips = [ch[0]]
        c = ch[0]
        for i, c_out in enumerate(ch):
            level = nn.ModuleList()
            for _ in range(config.blocks_per_level):
                level.append(ResBlock(c, c_out, td, g))
                c = c_out
                skips.append(c)
            self.down.append(level)
            if i < len(ch) - 1:
                self.downsample.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                skips.append(c)
        self.mid1 = ResBlock(c, c, td, g)
        self.mid_attn = Attention(c, g) if config.mid_attention else nn.Identity()
        self.mid2 = ResBlock(c, c, td, g)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i, c_out in reversed(list(enumerate(ch))):
            level = nn.ModuleList()
            for _ in range(config.blocks_per_level + 1):
                level.append(ResBlock(c + skips.pop(), c_out, td, g))
                c = c_out
            self.up.append(level)
            if i > 0:
                self.upsample.append(nn.Conv2d(c, c, 3, padding=1))
        self.norm_out = nn.GroupNorm(min(g, c), c)
        self.conv_out = nn.Conv2d(c, 1, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        emb = self.time_mlp(timestep_embedding(t, self.config.time_dim))
        if self.config.cond_channels:
            if cond is None:
                cond = x.new_zeros((x.shape[0], self.config.cond_channels) + tuple(x.shape[2:]))
            x = torch.cat([x, cond], dim=1)
        h = self.conv_in(x)
        hs = [h]
        for i, level in enumerate(self.down):
            for block in level:
                h = block(h, emb)
                hs.append(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)
                hs.append(h)
        h = self.mid2(self.mid_attn(self.mid1(h, emb)), emb)
        for i, level in enumerate(self.up):
            for block in level:
                h = block(torch.cat([h, hs.pop()], dim=1), emb)
            if i < len(self.upsample):
                h = self.upsample[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
