"""The torch eager twin of an exported model, timed against onnxruntime: ``python -m export.eager MODEL.onnx``.

``bridge bench`` times onnxruntime alone (the runtime and the lab never import torch);
this rebuilds the U-Net from the model's metadata, copies the ONNX initialisers into
it, times both interleaved and prints one JSON line with the two side by side.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from bridge.model import Denoiser
from export.unet import UNet, UNetConfig
from lab.timing import time_forward


def load_onnx_weights(model: torch.nn.Module, path) -> int:
    """Copies the ONNX initialisers into ``model``'s state dict; returns how many entries were set.

    Most keep their state-dict names. The exporter turns each GroupNorm into an instance
    norm followed by ``Mul`` (scale) and ``Add`` (shift) with anonymous ``onnx::`` inputs of
    shape (C, 1, 1); the node's own name (``/down.0.0/norm1/Mul``) says whose they are.
    """
    graph = onnx.load(str(path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:
        if node.op_type in ("Mul", "Add"):
            module = ".".join(node.name.strip("/").split("/")[:-1])
            for name in node.input:
                if name.startswith("onnx::") and name in inits:
                    inits.setdefault(f"{module}.{'weight' if node.op_type == 'Mul' else 'bias'}", inits[name])
    state = model.state_dict()
    n = 0
    for k, v in state.items():
        if k in inits and inits[k].size == v.numel():
            state[k] = torch.from_numpy(inits[k].reshape(tuple(v.shape)).copy())
            n += 1
    model.load_state_dict(state)
    return n


def twin(den: Denoiser) -> UNet:
    """The same network in torch eager (architecture from the metadata, every weight from the file), same threads."""
    if not den.info.unet:
        raise SystemExit(f"{den.info.path.name}: metadata has no 'unet' settings to rebuild the network from")
    torch.set_num_threads(den.session.get_session_options().intra_op_num_threads)
    model = UNet(UNetConfig.from_dict(den.info.unet)).eval()
    n, total = load_onnx_weights(model, den.info.path), len(model.state_dict())
    if n != total:
        raise SystemExit(f"{den.info.path.name}: only {n} of {total} weights found in the ONNX file; "
                         "re-export it with `bridge export`")
    return model


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m export.eager", description=__doc__.splitlines()[0])
    p.add_argument("model", help="an exported .onnx model")
    p.add_argument("--provider", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--threads", type=int, default=0, help="onnxruntime and torch threads (0: cores, at most 4)")
    p.add_argument("--repeats", type=int, default=100)
    a = p.parse_args(argv)
    den = Denoiser.load(a.model, providers=(a.provider,), threads=a.threads)
    model = twin(den)

    def eager(x: np.ndarray, t: np.ndarray) -> None:
        with torch.inference_mode():
            model(torch.from_numpy(x), torch.from_numpy(t.astype(np.float32)))

    print(json.dumps(time_forward(den, a.repeats, eager)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
