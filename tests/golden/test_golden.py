"""The sampling and DSP maths, and the streamed product path, against committed references (regenerate.py)."""

from pathlib import Path

import numpy as np
import pytest

import regenerate

REF = np.load(Path(__file__).with_name("golden.npz"))
OUT = regenerate.compute()


@pytest.mark.parametrize("key,atol", [
    ("alpha_bar", 1e-12), ("q_sample_t300", 1e-12), ("ddim_eta0", 1e-9), ("ddim_eta1", 1e-9),
    ("cross_s05", 1e-9), ("double_a", 1e-9), ("double_b", 1e-9),
])
def test_sampling_matches_reference(key, atol):
    np.testing.assert_allclose(OUT[key], REF[key], atol=atol, rtol=0)


@pytest.mark.parametrize("key", sorted(regenerate.STREAM_CASES))
def test_the_product_path_matches_reference(key):
    """The stream tick's DDIM (x0 clip, eta, step rule) and everything around it, end to end."""
    ref, got = REF[key], OUT[key]
    assert np.abs(ref).max() > 0.05  # a real signal, not silence
    np.testing.assert_allclose(got, ref, atol=1e-4 * np.abs(ref).max(), rtol=0)


def test_mel_matches_reference_in_db():
    # Log domain, as librosa compares pitch: 0.01 dB where the chirp has energy.
    ref, got = REF["chirp_mel_db"], OUT["chirp_mel_db"]
    loud = ref > -90
    assert loud.mean() > 0.1  # a chirp lights a few bands at a time
    np.testing.assert_allclose(got[loud], ref[loud], atol=0.01)
