"""The renderer's ceiling: the oracle's own mel through our inversions, judged as ``bridge eval`` judges.

A transfer is two things, the target model's mel and the inversion that plays it. Feeding
the inversion the *oracle's* mel (the test phrase rendered on the target instrument) takes
the model out: what the judge says then is the most any model could get through that
inversion. It found that the shortfall fill capped guitar->violin at CNN P(violin) 0.27 (the
model scored 0.27 too) and led to ``noise: measured``. Whole-signal, notes held on their
semitone (as every shipped harmonic preset), without the stream's note loudness or vibrato, so
it bounds the inversion, not a preset::

    python -m lab.ceiling --pairs guitar:violin,violin:guitar,voice:violin,guitar:cello
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def inversions(x: np.ndarray, oracle: np.ndarray, share: np.ndarray | None, tf) -> dict[str, np.ndarray]:
    """The oracle's mel through each inversion, on the input's STFT and pitch; name -> audio like ``x``."""
    from bridge import controls, dsp, harmonic

    c = tf.config

    def audio(S):
        y = dsp.griffin_lim(np.abs(S), dsp.unit_phase(S), 0, c.n_fft, c.hop_length, tf.window)
        return y[c.n_fft // 2 : c.n_fft // 2 + len(x)]

    Sx, db = dsp.spectrogram(x, tf), dsp.mel_power_db(dsp.spectrogram(oracle, tf), tf)
    f0, _, onset = controls.track_signal(x, c)
    f0 = controls.steady_pitch(f0, onset)  # every shipped harmonic preset holds notes on their semitone
    out = {"envelope": audio(dsp.envelope_transfer(Sx, dsp.mel_power_db(Sx, tf), db, tf)),
           "pinv, input phase": audio(dsp.db_to_magnitude(db, tf) * dsp.unit_phase(Sx)),
           "harmonic, fill 1": audio(harmonic.harmonic_transfer(Sx, f0, db, tf, 1.0)),
           "harmonic, fill 0": audio(harmonic.harmonic_transfer(Sx, f0, db, tf, 0.0))}
    if share is not None:
        phases = harmonic.noise_phase(np.arange(Sx.shape[1]), Sx.shape[0])
        out["harmonic, noise measured"] = audio(harmonic.harmonic_transfer(Sx, f0, db, tf, 1.0, noise=(share, phases)))
    return out


def main(argv=None) -> int:
    from bridge import dsp
    from bridge.model import ModelSet

    from .cnn_judge import build_cnn_judge
    from .evaluate import parse_pairs
    from .phrases import make_phrases

    p = argparse.ArgumentParser(prog="python -m lab.ceiling", description=__doc__.splitlines()[0])
    p.add_argument("--pairs", default="guitar:violin,violin:guitar", help="source:target,... (as bridge eval)")
    p.add_argument("--n-phrases", type=int, default=4)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--melody-seed", type=int, default=1, help="as bridge eval's (its test phrases)")
    p.add_argument("--work", default="eval", help="where the CNN judge is cached (bridge eval's --work)")
    a = p.parse_args(argv)
    models = ModelSet([], "cpu", 1)
    cnn = build_cnn_judge(Path(a.work) / "judge", "FluidR3_GM.sf2")
    print("| pair | system | CNN P(target) |\n|---|---|---|")
    for source, target in parse_pairs(a.pairs):
        info = models[target].info
        tf = dsp.mel_transform(info.mel)
        share = (info.controls or {}).get("noise_share")
        phrases = make_phrases(source, target, a.n_phrases, a.seconds, a.melody_seed, info.mel.sample_rate)
        rows: dict[str, list] = {"oracle": [ph.oracle for ph in phrases]}
        for ph in phrases:
            for name, y in inversions(ph.input, ph.oracle, None if share is None else np.asarray(share), tf).items():
                rows.setdefault(f"oracle's mel, {name}", []).append(y)
        for name, ys in rows.items():
            score = cnn.score(ys, info.mel.sample_rate, target)["target_prob_cnn"]
            print(f"| {source}->{target} | {name} | {score:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
