"""The Jitter wire format, byte for byte (literal bytes, as python-osc's tests do for datagrams)."""

import struct

import numpy as np
import pytest

from bridge.errors import ParameterError
from bridge.serve import jitter, jmtx, osc

# Two channels, two cells: [[1, 2], [-1, 0.5]], sent at 1.5 ms.
_MATRIX = bytes.fromhex(
    "4a4d5458" "00000120"                       # chunk: JMTX, 288
    "4a4d5458" "00000120" "00000002" "00000002" "00000001"  # header: JMTX, 288, 2 planes, float32, 1 dim
    + "00000002" + "00000000" * 31               # dim
    + "00000008" "00000010" + "00000000" * 30    # dimstride: 8 bytes a cell, 16 the row
    + "00000010" "3ff8000000000000"              # datasize 16, time 1.5
    "0000803f" "000080bf" "00000040" "0000003f"  # cells, plane after plane: (1, -1), (2, 0.5)
)
_OPEN = bytes.fromhex(
    "4a4d4d50" "00000022"                        # chunk: JMMP, 34 bytes
    "00000022" "00000004"                        # size 34, 4 atoms
    "73" "6f70656e00"                            # 's' open
    "6c" "00000001" "6c" "0000bb80" "6c" "00000002" "6c" "000015b3"  # 1 48000 2 5555
)


def test_a_matrix_is_the_bytes_of_the_specification():
    y = np.array([[1.0, 2.0], [-1.0, 0.5]], np.float32)
    assert jmtx.encode_matrix(y, 1.5) == _MATRIX


def test_a_matrix_reads_back_from_its_bytes():
    kind, size, order = jmtx.read_chunk_header(_MATRIX[:8])
    assert (kind, size, order) == (b"JMTX", 288, ">")
    h = jmtx.read_matrix_header(_MATRIX[8:296])
    assert (h.planecount, h.type, h.dim, h.dimstride, h.datasize, h.time_ms) == (2, 2, (2,), (8,), 16, 1.5)
    np.testing.assert_array_equal(jmtx.matrix_cells(h, _MATRIX[296:]), [[1.0, 2.0], [-1.0, 0.5]])


def test_a_message_is_the_bytes_of_the_specification():
    assert jmtx.encode_message("open", 1, 48000, 2, 5555) == _OPEN
    assert jmtx.decode_message(_OPEN[8:]) == ("open", [1, 48000, 2, 5555])
    text = jmtx.encode_message("error", "x", 0.5)
    assert jmtx.decode_message(text[8:]) == ("error", ["x", 0.5])


def test_a_latency_answer_is_the_sdk_struct():
    assert jmtx.encode_latency(1.0, 2.0, 3.0) == (b"JMLP" + b"\0" * 4 + struct.pack(">3d", 1.0, 2.0, 3.0))
    assert len(jmtx.encode_latency(0, 0, 0)) == jmtx.LATENCY_BYTES


def test_little_endian_headers_read_the_same():
    """The SDK's text says little endian; a sender that does so is read by its own size field."""
    y = np.array([[0.25, -0.75, 1.0]], np.float32)
    data = jmtx.encode_matrix(y, 7.0, order=jmtx.LITTLE)
    assert data[4:8] == struct.pack("<i", 288)
    assert jmtx.read_chunk_header(data[:8])[2] == "<"
    h = jmtx.read_matrix_header(data[8:296])
    assert (h.order, h.dim, h.time_ms) == ("<", (3,), 7.0)
    np.testing.assert_array_equal(jmtx.matrix_cells(h, data[296:]), y)


def test_two_dimensional_matrices_with_padded_rows_read_at_their_stride():
    """jit.catch~ @mode 1 sends [framesize, k]; Jitter may pad each row (here to 16 bytes)."""
    planes, width, rows, row_stride = 1, 3, 2, 16
    header = (b"JMTX" + struct.pack(">4i", 288, planes, 2, 2) + struct.pack(">32i", width, rows, *[0] * 30)
              + struct.pack(">32i", 4, row_stride, *[0] * 30) + struct.pack(">id", row_stride * rows, 0.0))
    cells = np.array([1, 2, 3, 99, 4, 5, 6, 99], "<f4").tobytes()  # 99: padding
    h = jmtx.read_matrix_header(header)
    np.testing.assert_array_equal(jmtx.matrix_cells(h, cells), [[1, 2, 3, 4, 5, 6]])


def _header(planes=2, type_=2, dimcount=1, dim=(4,), stride=(8,), datasize=32):
    return (b"JMTX" + struct.pack(">4i", 288, planes, type_, dimcount)
            + struct.pack(">32i", *dim, *[0] * (32 - len(dim))) + struct.pack(">32i", *stride, *[0] * (32 - len(stride)))
            + struct.pack(">id", datasize, 0.0))


@pytest.mark.parametrize("header,match", [
    (_header(type_=7), "matrix type 7"),
    (_header(dimcount=3, dim=(1, 1, 1), stride=(8, 8, 8)), "dimcount 3"),
    (_header(planes=0), "planecount 0"),
    (_header(datasize=31), "needs 32 bytes; datasize says 31"),
    (_header(stride=(4,)), "do not fit 2 planes"),
    (_header(datasize=1 << 30), "datasize 1073741824"),
    (b"JMTX" + struct.pack(">i", 287) + b"\0" * 280, "matrix header size 287"),
])
def test_matrix_headers_that_no_sender_means_name_what_is_wrong(header, match):
    with pytest.raises(jmtx.WireError, match=match):
        jmtx.read_matrix_header(header)


def test_chunk_headers_that_are_not_jitter_are_refused():
    with pytest.raises(jmtx.WireError, match="chunk id b'RIFF'"):
        jmtx.read_chunk_header(b"RIFF\0\0\0\0")
    with pytest.raises(jmtx.WireError, match="JMTX chunk size 100"):
        jmtx.read_chunk_header(b"JMTX" + struct.pack(">i", 100))
    with pytest.raises(jmtx.WireError, match="JMMP chunk size"):
        jmtx.read_chunk_header(b"JMMP" + b"\x7f\xff\xff\x7f")


def test_cut_messages_and_wrong_arguments_are_errors():
    with pytest.raises(jmtx.WireError, match="cut short"):
        jmtx.decode_message(_OPEN[8:-2])
    # The device's messages are checked like OSC requests (bridge.serve.osc.check_args).
    with pytest.raises(ParameterError, match="open: expected <stream:i> .* got 2 argument"):
        osc.check_args(jitter.OPEN, [1, 2])
    with pytest.raises(ParameterError, match="close stream: expected an int, got str 'x'"):
        osc.check_args(jitter.CLOSE, ["x"])
    assert osc.check_args(jitter.CLOSE, [3.0]) == {"stream": 3}  # Max may send ints as floats
    assert osc.check_args(jitter.OPEN, list(jmtx.decode_message(_OPEN[8:])[1]))["return_port"] == 5555
