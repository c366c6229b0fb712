"""The Jitter networking wire format (``[jit.net.send]`` / ``[jit.net.recv]``): pure functions over bytes.

After the Max SDK's *Jitter Networking Specification*. A TCP stream of chunks, each a
chunk header (4-byte id, int32 size) and its body:

- ``JMTX``: a matrix. The body is a 288-byte matrix header (id ``JMTX``, size 288,
  planecount, type 0 char / 1 long / 2 float32 / 3 float64, dimcount, ``dim[32]``,
  ``dimstride[32]``, datasize, then the sender's time as a double, in ms), then
  ``datasize`` bytes of cells; ``dimstride`` gives the byte offset of each dimension.
- ``JMMP``: a message (what ``[jit.net.send]``'s right inlet takes, out of
  ``[jit.net.recv]``'s middle outlet): int32 size, int32 atom count, the selector as
  ``'s'`` + NUL-terminated text, then each atom as ``'l'`` int32, ``'f'`` float32 or
  ``'s'`` text.
- ``JMLP``: the latency answer a receiver sends back for each matrix (id, then three
  doubles: the matrix's time, the receiver's time before and after taking it), laid
  out as the SDK's C struct (4 bytes of padding after the id: 32 bytes).

Byte order: the SDK's text says little endian, while its own deserialiser and the two
public implementations that talk to Max (ofxJitterNetworkSender, VVVV's Jitter nodes)
write every header field big endian. So a reader takes the order from the matrix
header's size field (288 reads right one way only) and a writer uses the order it was
given (:data:`BIG`, the default, or :data:`LITTLE`). Cell data is float32 in machine
order as Max holds it in memory: little endian on every machine Max runs on today
(``cell_order``). The chunk header's size is read in either order (the plausible one).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

MATRIX, MESSAGE, LATENCY = b"JMTX", b"JMMP", b"JMLP"
CHUNK_HEADER_BYTES = 8
MATRIX_HEADER_BYTES = 288
LATENCY_BYTES = 32
MAX_DIMS = 32
BIG, LITTLE = ">", "<"
TYPES = {0: np.dtype("u1"), 1: np.dtype("i4"), 2: np.dtype("f4"), 3: np.dtype("f8")}
MAX_MESSAGE_BYTES = 65536
MAX_MATRIX_BYTES = 16 * 1024 * 1024  # a second of 192 kHz x 8 ch float64 is 12 MB


class WireError(ValueError):
    """Bytes that are not the Jitter wire format; the connection cannot resynchronise after one."""


@dataclass(frozen=True)
class MatrixHeader:
    planecount: int
    type: int
    dim: tuple[int, ...]
    dimstride: tuple[int, ...]
    datasize: int
    time_ms: float
    order: str = BIG


def chunk_header(kind: bytes, size: int, order: str = BIG) -> bytes:
    return kind + struct.pack(order + "i", size)


def read_chunk_header(data: bytes) -> tuple[bytes, int, str]:
    """``(kind, size, order)`` of an 8-byte chunk header; raises :class:`WireError`."""
    kind = bytes(data[:4])
    if kind not in (MATRIX, MESSAGE, LATENCY):
        raise WireError(f"chunk id {kind!r}: expected JMTX, JMMP or JMLP")
    big, little = struct.unpack(">i", data[4:8])[0], struct.unpack("<i", data[4:8])[0]
    if kind == MATRIX:
        for size, order in ((big, BIG), (little, LITTLE)):
            if size == MATRIX_HEADER_BYTES:
                return kind, size, order
        raise WireError(f"JMTX chunk size {big}: expected {MATRIX_HEADER_BYTES}")
    limit = LATENCY_BYTES if kind == LATENCY else MAX_MESSAGE_BYTES
    for size, order in ((big, BIG), (little, LITTLE)):
        if 0 <= size <= limit:
            return kind, size, order
    raise WireError(f"{kind.decode()} chunk size {big}: expected 0 to {limit} bytes")


# ------------------------------------------------------------------------------ matrices
def encode_matrix(y: np.ndarray, time_ms: float = 0.0, order: str = BIG, cell_order: str = LITTLE) -> bytes:
    """A chunk holding ``y`` [shape=(channels, n)] as a 1-D float32 matrix of n cells, one plane per channel.

    That is what ``[jit.catch~ C @mode 0]`` outputs and ``[jit.release~ C]`` takes.
    """
    channels, n = y.shape
    cells = np.ascontiguousarray(y.T, dtype=np.dtype("f4").newbyteorder(cell_order))
    stride = 4 * channels
    dim = [n] + [0] * (MAX_DIMS - 1)
    dimstride = [stride, stride * n] + [0] * (MAX_DIMS - 2)
    header = (MATRIX + struct.pack(order + "4i", MATRIX_HEADER_BYTES, channels, 2, 1)
              + struct.pack(order + f"{MAX_DIMS}i", *dim) + struct.pack(order + f"{MAX_DIMS}i", *dimstride)
              + struct.pack(order + "id", stride * n, time_ms))
    return chunk_header(MATRIX, MATRIX_HEADER_BYTES, order) + header + cells.tobytes()


def read_matrix_header(data: bytes) -> MatrixHeader:
    """The 288-byte matrix header; raises :class:`WireError` on anything a sender could not mean."""
    if len(data) != MATRIX_HEADER_BYTES or data[:4] != MATRIX:
        raise WireError(f"matrix header: expected {MATRIX_HEADER_BYTES} bytes starting JMTX")
    if struct.unpack(">i", data[4:8])[0] == MATRIX_HEADER_BYTES:
        order = BIG
    elif struct.unpack("<i", data[4:8])[0] == MATRIX_HEADER_BYTES:
        order = LITTLE
    else:
        raise WireError(f"matrix header size {struct.unpack('>i', data[4:8])[0]}: expected {MATRIX_HEADER_BYTES}")
    planecount, type_, dimcount = struct.unpack_from(order + "3i", data, 8)
    dim = struct.unpack_from(order + f"{MAX_DIMS}i", data, 20)
    dimstride = struct.unpack_from(order + f"{MAX_DIMS}i", data, 20 + 4 * MAX_DIMS)
    datasize, time_ms = struct.unpack_from(order + "id", data, 20 + 8 * MAX_DIMS)
    if type_ not in TYPES:
        raise WireError(f"matrix type {type_}: expected 0 (char), 1 (long), 2 (float32) or 3 (float64)")
    if not 1 <= dimcount <= 2:
        raise WireError(f"matrix dimcount {dimcount}: expected 1 or 2 (what jit.catch~ sends)")
    if not 1 <= planecount <= 32:
        raise WireError(f"matrix planecount {planecount}: expected 1 to 32")
    if not 0 <= datasize <= MAX_MATRIX_BYTES:
        raise WireError(f"matrix datasize {datasize}: expected 0 to {MAX_MATRIX_BYTES} bytes")
    dims, strides = dim[:dimcount], dimstride[:dimcount]
    cell = TYPES[type_].itemsize * planecount
    if any(d < 0 for d in dims) or strides[0] < cell or (dimcount == 2 and strides[1] < strides[0] * dims[0]):
        raise WireError(f"matrix dim {list(dims)} / dimstride {list(strides)} do not fit {planecount} planes "
                        f"of {TYPES[type_].name}")
    row = strides[0] * (dims[0] - 1) + cell  # the bytes of one row, to the end of its last cell
    needed = 0 if 0 in dims else (strides[1] * (dims[1] - 1) + row if dimcount == 2 else row)
    if needed > datasize:
        raise WireError(f"matrix of dim {list(dims)} needs {needed} bytes; datasize says {datasize}")
    return MatrixHeader(planecount, type_, tuple(dims), tuple(strides), datasize, time_ms, order)


def matrix_cells(header: MatrixHeader, data: bytes, cell_order: str = LITTLE) -> np.ndarray:
    """The cells as float32 [shape=(planecount, n)], n the cell count in dim order (dim 0 fastest).

    Rows are read at their ``dimstride`` (Jitter may pad them); char cells scale to 0-1 as Jitter does.
    """
    dt = TYPES[header.type].newbyteorder(cell_order)
    n_rows = header.dim[1] if len(header.dim) == 2 else 1
    if header.dim[0] == 0 or n_rows == 0:
        return np.zeros((header.planecount, 0), np.float32)
    row_stride = header.dimstride[1] if len(header.dim) == 2 else 0
    cells = np.ndarray((n_rows, header.dim[0], header.planecount), dt, buffer=data,
                       strides=(row_stride, header.dimstride[0], dt.itemsize))
    out = cells.reshape(-1, header.planecount).T.astype(np.float32)
    if header.type == 0:
        out /= 255.0
    return out


# ------------------------------------------------------------------------------ messages
def encode_message(selector: str, *args: Any, order: str = BIG) -> bytes:
    """A ``JMMP`` chunk: the message ``selector args...`` (ints as ``l``, floats as ``f``, text as ``s``)."""
    body = b"s" + _text(selector)
    for a in args:
        if isinstance(a, bool) or isinstance(a, (int, np.integer)):
            body += b"l" + struct.pack(order + "i", int(a))
        elif isinstance(a, (float, np.floating)):
            body += b"f" + struct.pack(order + "f", float(a))
        else:
            body += b"s" + _text(str(a))
    payload = struct.pack(order + "ii", 8 + len(body), len(args)) + body
    return chunk_header(MESSAGE, len(payload), order) + payload


def decode_message(payload: bytes, order: str = BIG) -> tuple[str, list]:
    """``(selector, atoms)`` of a ``JMMP`` body; raises :class:`WireError`."""
    try:
        _size, argc = struct.unpack_from(order + "ii", payload, 0)
        if not 0 <= argc <= 1024:
            raise WireError(f"message atom count {argc}: expected 0 to 1024")
        pos = 8
        selector = ""
        if payload[pos:pos + 1] == b"s":
            selector, pos = _read_text(payload, pos + 1)
        atoms: list = []
        for _ in range(argc):
            code = payload[pos:pos + 1]
            if code == b"l":
                atoms.append(struct.unpack_from(order + "i", payload, pos + 1)[0])
                pos += 5
            elif code == b"f":
                atoms.append(struct.unpack_from(order + "f", payload, pos + 1)[0])
                pos += 5
            elif code == b"s":
                text, pos = _read_text(payload, pos + 1)
                atoms.append(text)
            else:
                raise WireError(f"message atom type {code!r}: expected l, f or s")
        return selector, atoms
    except struct.error as e:
        raise WireError(f"message cut short: {e}") from None


def _text(s: str) -> bytes:
    return s.encode("utf-8").replace(b"\x00", b"") + b"\x00"


def _read_text(payload: bytes, pos: int) -> tuple[str, int]:
    end = payload.find(b"\x00", pos)
    if end < 0:
        raise WireError("message text without its NUL")
    return payload[pos:end].decode("utf-8", "replace"), end + 1


# ------------------------------------------------------------------------------ latency
def encode_latency(client_time_ms: float, before_ms: float, after_ms: float, order: str = BIG) -> bytes:
    """The ``JMLP`` answer to one matrix (the SDK's struct: id, 4 bytes padding, three doubles)."""
    return LATENCY + b"\x00" * 4 + struct.pack(order + "3d", client_time_ms, before_ms, after_ms)
