"""The CNN judge's input and plumbing (lab.cnn_judge); its accuracy is measured by building it
(bridge eval prints it), which renders three soundfonts and trains for minutes."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from lab.cnn_judge import N_MELS, PATCH_FRAMES, CnnJudge, _network, normalise, patches, random_eq  # noqa: E402
from lab.phrases import MELODIC  # noqa: E402

SR = 22050


def tone(seconds=3.0, f0=220.0):
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))).astype(np.float32)


def test_patches_skip_silence_and_normalising_removes_the_level():
    y = np.concatenate([np.zeros(SR, np.float32), tone()])
    p = patches(y, SR)
    assert p.shape[1:] == (N_MELS, PATCH_FRAMES)
    assert 0 < len(p) < len(patches(tone(4.0), SR)) + 1       # the silent second gives no patch
    np.testing.assert_allclose(normalise(p + 17.0), normalise(p), atol=1e-6)
    n = normalise(p)
    assert n.min() >= 0.0 and n.max() == pytest.approx(1.0)


def test_random_eq_changes_the_balance_not_the_timing():
    p = patches(tone(), SR)
    q = random_eq(p, np.random.default_rng(0))
    band = (q - p).mean(axis=2)                                 # the same offset in every frame of a band
    assert np.allclose((q - p), band[:, :, None], atol=1e-4)
    assert np.ptp(band[0]) > 6.0                                 # and not the same in every band


def test_scores_are_probabilities_of_the_melodic_classes():
    import torch

    torch.manual_seed(0)
    judge = CnnJudge(_network(), {})
    row = judge.score([tone(), tone(f0=330.0)], SR, "violin")
    assert 0.0 <= row["target_prob_cnn"] <= 1.0 and row["predicted_cnn"] in MELODIC
    probs = row["class_probs_cnn"]  # every class, so a blend of two targets can be read (cello + violin)
    assert list(probs) == list(MELODIC) and sum(probs.values()) == pytest.approx(1.0, abs=1e-3)
    assert probs["violin"] == pytest.approx(row["target_prob_cnn"], abs=1e-4)
    assert max(probs, key=probs.get) == row["predicted_cnn"]
    assert np.isnan(judge.score([np.zeros(SR, np.float32)], SR, "violin")["target_prob_cnn"])
