"""The OSC wire layer: literal datagram bytes, argument checks, audio encodings."""

import numpy as np
import pytest

from bridge.serve import osc
from bridge.serve.handlers import ROUTES
from bridge.errors import ParameterError

# Literal datagrams, as python-osc's tests spell them.
_DGRAM_PONG_TOKEN = b"/bridge/pong\x00\x00\x00\x00,s\x00\x00tok\x00"
_DGRAM_LATENCY = (b"/bridge/latency\x00,ifii\x00\x00\x00"
                  b"\x00\x00A\x00" b"D<\xa6f" b"\x00\x00V\"" b"\xff\xff\xff\xff")
_DGRAM_AUDIO_BLOB = (b"/bridge/audio/out\x00\x00\x00,iib\x00\x00\x00\x00" b"\x00\x00\x00\x01" b"\x00\x00\x00\x07"
                     b"\x00\x00\x00\x08" b"\x00\x00\x80?" b"\x00\x00\x00\xbf")


def test_literal_datagrams():
    assert osc.build("/bridge/pong", "tok") == _DGRAM_PONG_TOKEN
    assert osc.build("/bridge/latency", 16640, 754.6, 22050, -1) == _DGRAM_LATENCY
    y = np.array([[1.0], [-0.5]], np.float32)
    assert osc.build("/bridge/audio/out", 1, 7, *osc.encode_audio(y, "blob")) == _DGRAM_AUDIO_BLOB


def test_only_max_safe_types_are_sent():
    data = osc.build("/x", np.float64(0.5), np.int64(3), True, "s", b"\x01")
    tags = data[data.index(b",") : data.index(b",") + 8]
    assert tags == b",fiisb\x00\x00"
    assert b"d" not in tags and b"h" not in tags
    assert osc.parse(data)[0][1] == [0.5, 3, 1, "s", b"\x01"]
    with pytest.raises(TypeError):
        osc.build("/x", [1, 2])


def test_int32_is_clamped_not_wrapped():
    assert osc.parse(osc.build("/x", 2**40))[0][1] == [2**31 - 1]


def test_parse_bundle_and_garbage():
    from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
    from pythonosc.osc_message_builder import OscMessageBuilder

    b = OscBundleBuilder(IMMEDIATELY)
    for i in range(2):
        m = OscMessageBuilder("/bridge/ping")
        m.add_arg(i, "i")
        b.add_content(m.build())
    assert osc.parse(b.build().dgram) == [("/bridge/ping", [0]), ("/bridge/ping", [1])]
    for junk in (b"", b"garbage", b"/a\x00\x00,i\x00\x00\x00", b"#bundle\x00" + b"\xff" * 20):
        with pytest.raises(ValueError, match="malformed OSC packet"):
            osc.parse(junk)


def test_check_args_arity_and_types():
    spec = osc.ADDRESSES["/bridge/stream/open"]
    assert osc.check_args(spec, [1, 48000, 2]) == {"stream": 1, "sample_rate": 48000, "channels": 2}
    with pytest.raises(ParameterError, match=r"expected <stream:i> <sample_rate:i> <channels:i>, got 2 argument"):
        osc.check_args(spec, [1, 48000])
    with pytest.raises(ParameterError, match=r"sample_rate: expected an int, got str '48k'"):
        osc.check_args(spec, [1, "48k", 2])
    assert osc.check_args(spec, [1, 48000.0, 2])["sample_rate"] == 48000  # Max sometimes sends floats
    with pytest.raises(ParameterError, match="expected an int, got 1.5"):
        osc.check_args(spec, [1.5, 48000, 2])
    ping = osc.ADDRESSES["/bridge/ping"]
    assert osc.check_args(ping, []) == {}
    with pytest.raises(ParameterError, match="expected an int, float or string, got a blob"):
        osc.check_args(ping, [b"x"])


def test_audio_decode_encode_round_trip(rng):
    y = rng.standard_normal((2, 128)).astype(np.float32)
    for enc in ("blob", "floats"):
        args = [v for _, v in osc.encode_audio(y, enc)]
        back, got_enc = osc.decode_audio("/a", args, 2)
        assert got_enc == enc
        np.testing.assert_array_equal(back, y)


@pytest.mark.parametrize("tail,pattern", [
    ([b"abc"], r"blob: expected a multiple of 8 bytes \(2 ch float32\), got 3"),
    ([np.zeros(2002, "<f4").tobytes()], r"blob: expected at most 2000 floats"),
    ([0.0] * 257, "expected at most 256 floats, got 257"),
    ([0.0] * 3, "expected a multiple of 2 floats"),
    (["x"], "expected floats or one blob"),
    ([], "expected audio after <stream> <seq>"),
])
def test_audio_errors(tail, pattern):
    with pytest.raises(ParameterError, match=pattern):
        osc.decode_audio("/bridge/audio/in", tail, 2)


def test_reply_datagrams_fit_max_sizes():
    y = np.zeros((2, osc.MAX_BLOB_FLOATS // 2), np.float32)
    assert len(osc.build("/bridge/audio/out", 2**31 - 1, 2**31 - 1, *osc.encode_audio(y, "blob"))) <= osc.MAX_DATAGRAM
    f = np.zeros((2, osc.MAX_FLOATS_PER_MESSAGE // 2), np.float32)
    assert len(osc.build("/bridge/audio/out", 1, 1, *osc.encode_audio(f, "floats"))) <= osc.MAX_DATAGRAM


def test_every_address_has_a_handler_and_doc():
    for path, spec in osc.ADDRESSES.items():
        assert path.startswith("/bridge/") and path == path.lower()
        assert spec.doc
        assert path in ROUTES, path
    assert set(ROUTES) == set(osc.ADDRESSES)  # every route is documented and every address served
