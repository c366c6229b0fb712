"""Framing for the stream: where windows sit on the sample grid, resampling, sample FIFOs.

No model and no DSP here, only bookkeeping in samples: :class:`Geometry` places windows
(and so fixes the latency), :class:`Resampler` moves the wet signal between the client's
and the model's rate with a measured hold-back, :class:`Fifo` queues samples.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass

import numpy as np

from .config import MelConfig
from .errors import ParameterError


@dataclass(frozen=True)
class Geometry:
    """Window placement in model-rate samples.

    A window sees ``window_frames`` frames but outputs only its last
    ``window_frames - lookbehind_frames``: the first ``lookbehind_frames`` are past
    context. Outputs of consecutive windows overlap by ``fade`` frames and are crossfaded.
    Window ``w`` outputs from sample ``w * hop_frames * hop_length`` on.
    """

    n_fft: int
    hop_length: int
    window_frames: int
    hop_frames: int
    lookbehind_frames: int = 0

    @classmethod
    def make(cls, mel: MelConfig, window_frames: int, overlap: float, lookbehind: float = 0.0) -> "Geometry":
        w = window_frames or mel.window_frames
        if w % mel.frame_multiple:
            raise ParameterError(f"window_frames: expected a multiple of {mel.frame_multiple}, got {w}")
        if mel.n_fft < 2 * mel.hop_length:
            raise ParameterError(f"n_fft: expected at least 2 * hop_length = {2 * mel.hop_length}, got {mel.n_fft}")
        a = int(round(w * lookbehind))
        out = w - a
        if out < 2:
            raise ParameterError(f"lookbehind: leaves {out} output frames of a {w}-frame window; lower it")
        h = max(1, int(round(out * (1.0 - overlap))))
        return cls(mel.n_fft, mel.hop_length, w, h, a)

    @property
    def out_frames(self) -> int:
        return self.window_frames - self.lookbehind_frames

    @property
    def fade_samples(self) -> int:
        return (self.out_frames - self.hop_frames) * self.hop_length

    @property
    def span_samples(self) -> int:
        """Length of a window's output region."""
        return self.out_frames * self.hop_length

    @property
    def out_offset(self) -> int:
        """Where the output region starts inside the window's analysis segment."""
        return self.n_fft // 2 + self.lookbehind_frames * self.hop_length

    def start(self, w: int) -> int:
        """First output sample of window ``w`` (where its fade-in begins)."""
        return w * self.hop_frames * self.hop_length

    def first_frame(self, w: int) -> int:
        return w * self.hop_frames - self.lookbehind_frames

    def begin(self, w: int) -> int:
        """First input sample window ``w`` analyses (absolute, model rate)."""
        return self.first_frame(w) * self.hop_length - self.n_fft // 2

    def need(self, w: int) -> int:
        """Model-rate input samples (absolute count) needed before window ``w`` can run."""
        return (self.first_frame(w) + self.window_frames - 1) * self.hop_length + self.n_fft // 2

    @property
    def first_window(self) -> int:
        """The earliest window whose output reaches sample 0."""
        return -((self.out_frames - 1) // self.hop_frames)

    @property
    def latency_samples(self) -> int:
        """Algorithmic latency at the model rate: the longest wait from a sample to its output."""
        return (self.out_frames - 1) * self.hop_length + self.n_fft // 2


# Only the wet signal is resampled (the dry path stays at the client's rate), and it is
# band-limited by the model anyway: soxr's LQ passes 8 kHz at -0.2 dB and withholds
# 20 ms + 1 ms on a 48k -> 22.05k -> 48k round trip, against 38 + 42 ms for HQ.
RESAMPLE_QUALITY = "LQ"


class Resampler:
    """A stateful soxr resampler, or a pass-through when the rates match."""

    def __init__(self, in_rate: int, out_rate: int, n_channels: int):
        self.identity = in_rate == out_rate
        self.delay = 0.0
        if not self.identity:
            import soxr

            self._rs = soxr.ResampleStream(in_rate, out_rate, n_channels, dtype="float32", quality=RESAMPLE_QUALITY)
            self.delay = soxr_withheld(in_rate, out_rate)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: (n_channels, n) -> (n_channels, m)."""
        if self.identity:
            return x
        return np.ascontiguousarray(self._rs.resample_chunk(np.ascontiguousarray(x.T, dtype=np.float32)).T)


@functools.lru_cache(maxsize=32)
def soxr_withheld(in_rate: int, out_rate: int) -> float:
    """The most output samples soxr's stream resampler holds back, measured once per rate pair.

    soxr compensates its filter delay by withholding output (sample k of its output is
    the input at time k / out_rate) and works in internal blocks, so small chunks are
    held longest. Feeding 8-sample chunks finds the worst case within a sample of
    1-sample chunks (measured for 16-96 kHz pairs); the stream adds a margin on top.
    """
    import soxr

    rs = soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality=RESAMPLE_QUALITY)
    chunk = np.zeros(8, np.float32)
    worst, n_in, n_out = 0.0, 0, 0
    for _ in range(60000 // 8):
        n_in += 8
        n_out += len(rs.resample_chunk(chunk))
        worst = max(worst, n_in * out_rate / in_rate - n_out)
    return worst


class Fifo:
    """A (channels, n) first-in-first-out sample buffer; push and pop cost what they move, not what is held."""

    def __init__(self, n_channels: int, prefill: int = 0):
        self.n_channels = n_channels
        self._parts: deque[np.ndarray] = deque()
        self._head = 0  # samples already taken from _parts[0]
        self._len = 0
        if prefill > 0:
            self.push(np.zeros((n_channels, prefill), np.float32))

    def __len__(self) -> int:
        return self._len

    def push(self, x: np.ndarray) -> None:
        if x.shape[1]:
            self._parts.append(x.astype(np.float32, copy=False))
            self._len += x.shape[1]

    def pop(self, n: int) -> np.ndarray:
        n = max(0, min(n, self._len))
        out = np.empty((self.n_channels, n), np.float32)
        filled = 0
        while filled < n:
            part = self._parts[0]
            take = min(n - filled, part.shape[1] - self._head)
            out[:, filled : filled + take] = part[:, self._head : self._head + take]
            filled += take
            self._head += take
            if self._head == part.shape[1]:
                self._parts.popleft()
                self._head = 0
        self._len -= n
        return out
