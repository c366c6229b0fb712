"""An experiment for issue 9, item 2: harmonic-plus-noise resynthesis of a restyled phrase.

Envelope inversion rescales the input's own partials, so a pluck cannot appear from a bowed
note nor go from a plucked one. This renders instead from the model's spectrum with the
input's pitch: the transfer runs with ``inversion: pinv`` (the model's mel through the
pseudo-inverse: a smooth spectral envelope, harmonics smeared), harmonic k's amplitude is
read from that envelope at k * f0 (f0 of the *input*, pYIN), and the rest of the envelope
drives filtered noise. Offline and lab-only (librosa), to learn whether it is worth a
runtime path:

    python -m lab.hns --pairs guitar:violin,violin:guitar --strengths 0.5,0.8,1.0
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

N_FFT = 1024
HOP = 256
N_HARMONICS = 40


def hns(y_in: np.ndarray, y_env: np.ndarray, sample_rate: int, noise: float = 0.3) -> np.ndarray:
    """Harmonics at the input's f0 with amplitudes from ``y_env``'s spectrum, plus its residual as noise."""
    import librosa

    f0, voiced, _ = librosa.pyin(y_in, fmin=60.0, fmax=2000.0, sr=sample_rate, frame_length=2048, hop_length=HOP)
    E = np.abs(librosa.stft(y_env, n_fft=N_FFT, hop_length=HOP))          # (bins, frames)
    frames = min(E.shape[1], len(f0))
    E, f0, voiced = E[:, :frames], np.nan_to_num(f0[:frames]), voiced[:frames]
    bin_hz = sample_rate / N_FFT
    n = len(y_in)
    t_frames = np.arange(frames) * HOP
    samples = np.arange(n)
    f0_s = np.interp(samples, t_frames, np.where(voiced, f0, 0.0))
    on = np.interp(samples, t_frames, voiced.astype(float))
    # the envelope's amplitude at a frequency per frame, read by linear interpolation over bins
    out = np.zeros(n)
    phase = 2 * np.pi * np.cumsum(f0_s) / sample_rate
    win_gain = np.sum(np.hanning(N_FFT)) / 2.0                            # a sinusoid's peak in |STFT|
    harmonic_mask = np.zeros_like(E)
    for k in range(1, N_HARMONICS + 1):
        fk = k * f0
        ok = voiced & (fk < 0.45 * sample_rate)
        if not ok.any():
            continue
        b = fk / bin_hz
        lo = np.clip(np.floor(b).astype(int), 0, E.shape[0] - 2)
        w = b - lo
        amp = ((1 - w) * E[lo, np.arange(frames)] + w * E[lo + 1, np.arange(frames)]) / win_gain
        amp = np.where(ok, amp, 0.0)
        out += np.interp(samples, t_frames, amp) * np.sin(k * phase)
        for d in (-1, 0, 1, 2):
            idx = np.clip(lo + d, 0, E.shape[0] - 1)
            harmonic_mask[idx[ok], np.flatnonzero(ok)] = 1.0
    out *= on
    # noise: the envelope away from the harmonics, on white noise's STFT
    rng = np.random.default_rng(0)
    Nz = librosa.stft(rng.standard_normal(n), n_fft=N_FFT, hop_length=HOP)[:, :frames]
    Nz = Nz / (np.abs(Nz).mean() + 1e-12)
    resid = E * (1.0 - harmonic_mask) * noise
    out += librosa.istft(Nz * resid / np.sqrt(N_FFT / 2), hop_length=HOP, length=n)
    peak = np.abs(out).max()
    return (out / peak * np.abs(y_in).max() if peak > 0 else out).astype(np.float32)


def main(argv=None) -> int:
    from bridge import offline
    from bridge.model import ModelSet

    from .cnn_judge import build_cnn_judge
    from .evaluate import pair_preset, score_outputs
    from .judge import build_judge
    from .phrases import make_phrases
    from .pitch import pitch_track

    ap = argparse.ArgumentParser(prog="python -m lab.hns", description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", default="guitar:violin,violin:guitar")
    ap.add_argument("--strengths", default="0.5,0.8,1.0")
    ap.add_argument("--n-phrases", type=int, default=4)
    ap.add_argument("--work", default="eval")
    a = ap.parse_args(argv)
    models = ModelSet([], "cpu")
    judge = build_judge(Path(a.work))
    cnn = build_cnn_judge(Path(a.work), judge.report["holdout_soundfont"])
    print("| pair | system | strength | P(target) CNN | P(target) | pitch acc | attack ms | decay dB/s | sustain dB "
          "| transient dB | vibrato c |")
    print("|---" * 11 + "|")
    for pair in a.pairs.split(","):
        src, tgt = pair.split(":")
        sr = int(models[tgt].info.mel.sample_rate)
        phrases = make_phrases(src, tgt, a.n_phrases, 10.0, 1, sr)
        refs = [pitch_track(p.input, sr) for p in phrases]

        def row(system, strength, outs):
            r = score_outputs(outs, sr, tgt, phrases, refs, judge, cnn)
            print(f"| {src}->{tgt} | {system} | {strength} | {r['target_prob_cnn']:.3f} | {r['target_prob']:.3f} | "
                  f"{r['pitch_accuracy']:.3f} | {r['attack_ms']:.0f} | {r['decay_db_s']:.1f} | {r['sustain_db']:.1f} | "
                  f"{r['transient_db']:.1f} | {r['vibrato_cents']:.1f} |", flush=True)

        row("input", "-", [p.input for p in phrases])
        row("oracle", "-", [p.oracle for p in phrases])
        base = pair_preset(src, tgt)
        for s in [float(x) for x in a.strengths.split(",")]:
            env = base.with_params(strength=s)
            row("envelope inversion", s, [offline.transfer(p.input[None], sr, models, env)[0] for p in phrases])
            pinv = base.with_params(strength=s, inversion="pinv")
            outs = []
            for p in phrases:
                y_env = offline.transfer(p.input[None], sr, models, pinv)[0]
                outs.append(hns(p.input, y_env, sr))
            row("hns (input f0)", s, outs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
