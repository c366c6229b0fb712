"""Note-level envelope measures (lab.envelope) on signals whose envelopes are known."""

from __future__ import annotations

import numpy as np
import pytest

from lab.envelope import envelope_scores, matched_eq, note_measures

SR = 22050


def partials(f0, t, vibrato_cents=0.0, rate=5.5):
    cents = vibrato_cents * np.sqrt(2) * np.sin(2 * np.pi * rate * t)      # RMS = vibrato_cents
    phase = 2 * np.pi * np.cumsum(f0 * 2 ** (cents / 1200)) / SR
    return sum(np.sin(k * phase) / k for k in range(1, 8))


def plucked(f0=330.0, seconds=1.0, decay_db_s=-24.0):
    t = np.arange(int(seconds * SR)) / SR
    y = partials(f0, t) * 10 ** (decay_db_s * t / 20)
    click = np.zeros_like(t)
    click[:66] = np.random.default_rng(0).standard_normal(66) * np.hanning(66) * 2.0   # 3 ms of noise
    return (0.2 * (y + click)).astype(np.float32)


def bowed(f0=330.0, seconds=1.0, attack_s=0.12, vibrato_cents=20.0):
    t = np.arange(int(seconds * SR)) / SR
    env = np.minimum(1.0, t / attack_s)
    return (0.2 * env * partials(f0, t, vibrato_cents)).astype(np.float32)


def test_a_pluck_and_a_bow_measure_as_they_were_made():
    p = note_measures(plucked(), SR, [(0.0, 1.0)])
    b = note_measures(bowed(), SR, [(0.0, 1.0)])
    assert p["decay_db_s"][0] == pytest.approx(-24.0, abs=2.0)
    assert abs(b["decay_db_s"][0]) < 2.0
    assert p["attack_ms"][0] < 10.0
    # a linear 120 ms ramp is within 3 dB of its peak at 0.707 of it: about 85 ms
    assert b["attack_ms"][0] == pytest.approx(85.0, abs=12.0)
    assert p["sustain_db"][0] < -9.0 and b["sustain_db"][0] > -1.0
    assert p["transient_db"][0] > b["transient_db"][0] + 6.0
    assert b["vibrato_cents"][0] == pytest.approx(20.0, abs=5.0)
    assert p["vibrato_cents"][0] < 3.0


def test_scores_are_medians_over_notes_and_skip_short_ones():
    y = np.concatenate([plucked(seconds=0.5), plucked(seconds=0.1), plucked(seconds=0.5)])
    s = envelope_scores([y], SR, [[(0.0, 0.5), (0.5, 0.1), (0.6, 0.5)]])
    assert s["notes_measured"] == 2
    assert s["decay_db_s"] == pytest.approx(-24.0, abs=3.0)


def test_an_eq_moves_the_spectrum_but_not_the_envelope():
    """The baseline the measures exist for: a pluck EQ'd to a bowed note's spectrum is still a pluck."""
    p, b = plucked(f0=220.0), bowed(f0=220.0)
    # the bowed note brightened (its 3rd-7th partials up) so that the EQ has work to do
    b = b + 0.5 * np.diff(b, prepend=0).astype(np.float32) * 8
    eq = matched_eq(p, b, SR)

    def tilt(y):
        s = np.abs(np.fft.rfft(y)) ** 2
        f = np.fft.rfftfreq(len(y), 1 / SR)
        return 10 * np.log10(s[(f > 1000) & (f < 4000)].sum() / s[(f > 100) & (f < 500)].sum())

    assert abs(tilt(eq) - tilt(b)) < 2.0 < abs(tilt(p) - tilt(b))
    before, after = note_measures(p, SR, [(0.0, 1.0)]), note_measures(eq, SR, [(0.0, 1.0)])
    assert after["decay_db_s"][0] == pytest.approx(before["decay_db_s"][0], abs=3.0)
    assert after["sustain_db"][0] < -9.0


def test_the_gap_closed_spread_is_narrow_when_phrases_agree_and_wide_when_one_decides():
    from lab.envelope import gap_closed, gap_closed_spread
    from lab.table import note_gaps

    # Every phrase says the same: the output closed 80% of the gap, whichever phrases are drawn.
    source, oracle, out = [[10.0, 10.0]] * 6, [[20.0, 20.0]] * 6, [[18.0, 18.0]] * 6
    assert gap_closed(18.0, 20.0, 10.0) == pytest.approx(0.8)
    lo, hi = gap_closed_spread(out, oracle, source)
    assert lo == pytest.approx(0.8) and hi == pytest.approx(0.8)
    # A small gap (10 -> 12) and phrases that disagree: the medians move with the phrases drawn.
    source = [[10.0, 10.0]] * 6
    oracle = [[12.0, 12.0]] * 3 + [[16.0, 16.0]] * 3
    out = [[13.0, 13.0]] * 3 + [[11.0, 11.0]] * 3
    lo, hi = gap_closed_spread(out, oracle, source)
    assert hi - lo > 0.3
    # The aim line carries the spread and the row keeps it.
    row = {"attack_ms": 12.0, "notes_by_phrase": {"attack_ms": out}}
    text = note_gaps(row, {"attack_ms": 10.0, "notes_by_phrase": {"attack_ms": source}},
                     {"attack_ms": 14.0, "notes_by_phrase": {"attack_ms": oracle}})
    assert text.startswith("attack_ms 50% (< 75%) [") and row["attack_ms_gap_closed_10_90"][1] - row[
        "attack_ms_gap_closed_10_90"][0] > 0.3


def test_scores_keep_each_phrases_values():
    y = plucked(seconds=0.5)
    s = envelope_scores([y, y], SR, [[(0.0, 0.5)], [(0.0, 0.5)]])
    assert [len(v) for v in s["notes_by_phrase"]["decay_db_s"]] == [1, 1]
    assert s["decay_db_s"] == pytest.approx(s["notes_by_phrase"]["decay_db_s"][0][0])


def test_every_note_keeps_its_place_and_an_unmeasured_one_is_nan():
    y = plucked(seconds=1.1)
    m = note_measures(y, SR, [(0.0, 0.5), (0.5, 0.1), (0.6, 0.5)])
    assert all(len(v) == 3 for v in m.values())
    assert np.isnan(m["attack_ms"][1]) and not np.isnan(m["attack_ms"][0]) and not np.isnan(m["attack_ms"][2])


def test_note_by_note_the_scatter_between_notes_cancels():
    from lab.envelope import gap_closed_spread, paired_gap_closed
    from lab.table import note_gaps

    # Notes that scatter +-20 dB; the input is 4 dB over the oracle on every note, the output on
    # the oracle except one note near the middle, which moves the median of all notes by 3.
    oracle = [[-20.0, -10.0, 0.0, 10.0, 20.0]]
    source = [[v + 4.0 for v in oracle[0]]]
    out = [[-20.0, -10.0, 3.0, 10.0, 20.0]]
    assert paired_gap_closed(out, oracle, source) == pytest.approx(1.0)
    row = {"transient_db": 3.0, "notes_by_phrase": {"transient_db": out}}
    text = note_gaps(row, {"transient_db": 4.0, "notes_by_phrase": {"transient_db": source}},
                     {"transient_db": 0.0, "notes_by_phrase": {"transient_db": oracle}})
    assert text.startswith("transient_db 25% (< 75%)") and "note by note 100%" in text
    assert row["transient_db_gap_closed_by_note"] == pytest.approx(1.0)
    # A note one system did not measure is left out of all three; different note counts are an error.
    nan = float("nan")
    assert paired_gap_closed([[0.0, nan]], [[0.0, 50.0]], [[4.0, 0.0]]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="different notes"):
        paired_gap_closed([[0.0]], [[0.0, 1.0]], [[4.0, 5.0]])
    # Over phrases drawn again the note-by-note share stays put where every phrase agrees.
    lo, hi = gap_closed_spread(out * 4, oracle * 4, source * 4, paired=True)
    assert lo == pytest.approx(1.0) and hi == pytest.approx(1.0)


def test_attack_is_also_read_by_how_each_note_follows_the_last():
    from lab.envelope import articulation

    notes = [(0.0, 0.5), (0.45, 0.55), (1.05, 0.5), (1.9, 0.5)]
    assert articulation(notes) == ["detached", "legato", "adjacent", "detached"]
    # Bowed notes (swelling 120 ms) where a note follows from silence, a pluck where it is played on legato.
    y = np.concatenate([bowed(seconds=0.45), plucked(seconds=0.6), bowed(seconds=0.85), bowed(seconds=0.6)])
    s = envelope_scores([y], SR, [notes])
    by = s["attack_ms_by_articulation"]
    assert by["legato"] < 15.0 and 60.0 < by["adjacent"] < 110.0 and 60.0 < by["detached"] < 110.0
    from lab.table import aim_lines

    rows = [dict(s, pair="a->b", system=k, target_prob=0.5, pitch_accuracy=1.0) for k in ("identity", "oracle")]
    rows[1]["attack_ms_by_articulation"] = {"legato": 0.0, "adjacent": 150.0, "detached": 160.0}
    rows.append(dict(s, pair="a->b", system="transfer", target_prob=0.5, pitch_accuracy=1.0, strength=1.0, steps=2))
    line = [x for x in aim_lines(rows) if "by articulation" in x]
    output = f"output {by['legato']:.0f} / {by['adjacent']:.0f} / {by['detached']:.0f}"
    assert line and f"{output}, oracle 0 / 150 / 160" in line[0]
