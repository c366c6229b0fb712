"""Reading an ONNX file's bytes without the onnx package (the runtime has only onnxruntime).

The file is a protobuf ``ModelProto``; :func:`graph_bytes` walks its top-level fields on
the wire format and returns field 7, the serialised graph with its weights: what the
content hash written at export covers.
"""

from __future__ import annotations


def graph_bytes(data: bytes) -> bytes:
    """The serialised GraphProto inside an ONNX file (ModelProto field 7), read from the protobuf wire format."""
    i, n = 0, len(data)

    def varint() -> int:
        nonlocal i
        shift = value = 0
        while True:
            if i >= n:
                raise ValueError("truncated varint")
            b = data[i]
            i += 1
            value |= (b & 0x7F) << shift
            if b < 0x80:
                return value
            shift += 7

    while i < n:
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            varint()
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            length = varint()
            if field == 7:
                if i + length > n:
                    raise ValueError("truncated graph")
                return data[i : i + length]
            i += length
        else:
            raise ValueError(f"unexpected wire type {wire}")
    raise ValueError("no graph")
