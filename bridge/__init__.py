"""bridge: restyle live audio with per-instrument diffusion models (runtime: numpy + onnxruntime)."""

__version__ = "0.1.0"
