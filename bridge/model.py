"""The one place that touches onnxruntime: loading self-describing denoisers.

A model file carries its own settings in ``metadata_props`` (values are JSON text):
mel analysis, noise schedule, prediction type, shapes and provenance. ``Denoiser.load``
reads and validates them, chooses an execution provider by a real check, and exposes
``__call__(x, t) -> (eps, x0_pred)`` for the samplers in :mod:`bridge.sampling`.

Provider choice: CUDA only when onnxruntime has the CUDA provider, the session really
runs on it (onnxruntime otherwise falls back to CPU silently) and a forward succeeds;
otherwise CPU, with the reason kept in ``provider_note`` for the log and ``/bridge/info``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from .errors import ModelError, ParameterError
from .sampling import alpha_bar_at, eps_to_eps_x0, v_to_eps_x0
from .onnx_file import FORMAT, METADATA_KEYS, ModelInfo, graph_bytes  # noqa: F401 (re-exported)
from .watchdog import WATCHDOG

log = logging.getLogger(__name__)

PACKAGE_MODELS = Path(__file__).parent / "models"
PROVIDER_NAMES = {"cuda": "CUDAExecutionProvider", "cpu": "CPUExecutionProvider"}
# CUDA provider options, measured on an H200 (lab/README.md, "GPU"). TF32 off: with it a forward
# differs from the CPU's by ~7e-4, without it by ~2e-6, at no measurable cost for these small
# U-Nets. Heuristic cuDNN algorithms: the exhaustive default benchmarks every new input shape,
# and a stream meets several (batch and window width change with the preset and the load).
CUDA_OPTIONS = {"use_tf32": "0", "cudnn_conv_algo_search": "HEURISTIC"}
# The watchdog's limits: the warm-up (and a model never timed) gets LOAD_LIMIT_S; later calls
# CALL_LIMIT_FACTOR times the warm-up per row, at least MIN_CALL_LIMIT_S: generous, since a
# laptop on stage can stall; a model stopped once sits out ASIDE_S, then is tried again.
LOAD_LIMIT_S = float(os.environ.get("BRIDGE_LOAD_LIMIT_S", "60"))
CALL_LIMIT_FACTOR = 100.0
MIN_CALL_LIMIT_S = 5.0
ASIDE_S = 30.0


def _import_ort():
    try:
        import onnxruntime as ort
    except ImportError as e:  # pragma: no cover - a broken install
        raise ModelError(f"onnxruntime is not importable ({e}); reinstall bridge") from None
    return ort


_cuda_libs_preloaded = False


def preload_cuda_libs(ort) -> None:
    """Loads CUDA and cuDNN from their pip wheels once, before the first CUDA session.

    onnxruntime-gpu installed with ``[cuda,cudnn]`` finds those libraries only through
    ``preload_dlls`` (onnxruntime >= 1.21); without it the CUDA provider fails to load
    unless torch was imported first. What it prints goes to the debug log.
    """
    global _cuda_libs_preloaded
    if _cuda_libs_preloaded or not hasattr(ort, "preload_dlls"):
        return
    _cuda_libs_preloaded = True
    import contextlib
    import io

    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            ort.preload_dlls()
    except Exception as e:  # a missing library is the provider check's to report
        said.write(f"preload_dlls failed: {e}")
    if said.getvalue().strip():
        log.debug("onnxruntime.preload_dlls: %s", said.getvalue().strip())


def intra_op_threads(threads: int = 0) -> int:
    """onnxruntime threads a call uses: ``threads``, or by default the cores (at most 4)."""
    return threads or max(1, min(4, os.cpu_count() or 1))


def session_options(threads: int = 0, spinning: bool = False):
    """ONNX Runtime options: fixed intra-op threads, one inter-op thread, full graph optimisation.

    Spinning worker threads are off by default: in the daemon they would steal the
    core that the OSC thread and the client need between calls.
    """
    ort = _import_ort()
    so = ort.SessionOptions()
    so.intra_op_num_threads = intra_op_threads(threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3  # onnxruntime's own provider-fallback errors are reported by us instead
    so.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    # Denormal floats cost ~14x per operation on x86; audio DSP flushes them, and so do onnxruntime's
    # pool threads with this (measured 3.29 -> 0.65 s on a forward whose activations decay into
    # denormals, 2 threads). The calling thread, which runs all ops with 1 thread, is not affected.
    so.add_session_config_entry("session.set_denormal_as_zero", "1")
    return so


def read_metadata(path: Path) -> ModelInfo:
    """Reads a model's metadata without preparing it for inference."""
    ort = _import_ort()
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 4
    try:
        sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise ModelError(f"{path.name}: not a loadable ONNX model ({str(e).splitlines()[0][:200]})") from None
    info = ModelInfo.from_metadata(path, dict(sess.get_modelmeta().custom_metadata_map))
    check_content(path, info)
    graph_in, graph_out = [i.name for i in sess.get_inputs()], [o.name for o in sess.get_outputs()]
    if sorted(graph_in) != sorted(info.inputs) or info.output not in graph_out:
        raise ModelError(f"{path.name}: the metadata names inputs {list(info.inputs)} and output {info.output!r}, "
                         f"the graph has {graph_in} and {graph_out}; re-export it with `bridge export`")
    return info


def check_content(path: Path, info: ModelInfo) -> None:
    """Refuses a model whose graph or weights no longer match the hash written at export."""
    if info.hash_scope != "graph":
        log.debug("%s: content hash not checked (exported before hashes covered the graph)", path.name)
        return
    try:
        digest = hashlib.sha256(graph_bytes(path.read_bytes())).hexdigest()
    except (OSError, ValueError) as e:
        raise ModelError(f"{path.name}: cannot read its graph ({e}); re-export it with `bridge export`") from None
    if digest != info.content_hash:
        raise ModelError(f"{path.name}: content hash mismatch (graph {digest[:12]}, metadata "
                         f"{info.content_hash[:12]}): the file was changed or damaged after export; re-export it "
                         f"or reinstall bridge")


class Denoiser:
    """An exported diffusion U-Net on one execution provider.

    Call it as ``denoiser(x, t) -> (eps, x0_pred)`` with ``x`` of shape
    ``(batch, 1, n_mels, frames)`` float32 and ``t`` integer timesteps ``(batch,)``.
    """

    def __init__(self, info: ModelInfo, session, provider: str, provider_note: str):
        self.info = info
        self.session = session
        self.provider = provider
        self.provider_note = provider_note
        self.n_calls = 0
        # A forward may take this long per row before the watchdog stops it (set from the
        # warm-up's cost at load); a model stopped once sits out ASIDE_S, then is tried again.
        self.call_limit_s = LOAD_LIMIT_S
        self.set_aside: str | None = None  # why, while the model sits out after a stopped forward
        self.aside_until = 0.0

    @classmethod
    def load(
        cls,
        path: Path | str,
        providers: Sequence[str] = ("cuda", "cpu"),
        threads: int = 0,
        spinning: bool = False,
        warmup: bool = True,
    ) -> "Denoiser":
        """Loads ``path``, trying ``providers`` in order ("cuda", "cpu"), and warms it up."""
        path = Path(path)
        info = read_metadata(path)
        ort = _import_ort()
        notes = []
        for name in providers:
            if name not in PROVIDER_NAMES:
                raise ParameterError(f"provider: expected one of {', '.join(PROVIDER_NAMES)}, got {name!r}")
            if name == "cuda" and PROVIDER_NAMES["cuda"] not in ort.get_available_providers():
                notes.append("this onnxruntime build has no CUDA provider")
                continue
            if name == "cuda":
                preload_cuda_libs(ort)
            ep = ([(PROVIDER_NAMES["cuda"], CUDA_OPTIONS), PROVIDER_NAMES["cpu"]] if name == "cuda"
                  else [PROVIDER_NAMES["cpu"]])
            try:
                # onnxruntime logs its own multi-line error when CUDA libraries are missing and then
                # falls back silently; we detect the fallback below and say it in one line instead.
                ort.set_default_logger_severity(4 if name == "cuda" else 3)
                sess = ort.InferenceSession(str(path), session_options(threads, spinning), providers=ep)
            except Exception as e:
                notes.append(f"{name} session failed: {str(e).splitlines()[0][:160]}")
                continue
            finally:
                ort.set_default_logger_severity(2)
            if sess.get_providers()[0] != PROVIDER_NAMES[name]:
                notes.append(f"the {name.upper()} provider did not load (no usable GPU, or CUDA/cuDNN libraries missing)")
                continue
            den = cls(info, sess, name, "; ".join(notes) if notes else f"{name} requested and running")
            if warmup or name == "cuda":
                try:
                    t0 = time.perf_counter()
                    den.warmup()
                    den.call_limit_s = max(MIN_CALL_LIMIT_S, CALL_LIMIT_FACTOR * (time.perf_counter() - t0))
                except ModelError as e:
                    if den.set_aside:  # the warm-up itself never finished: no provider will do better
                        raise ModelError(f"{path.name}: {e}") from None
                    notes.append(f"{name} forward failed: {str(e).splitlines()[0][:160]}")
                    continue
                except Exception as e:
                    notes.append(f"{name} forward failed: {str(e).splitlines()[0][:160]}")
                    continue
                den.n_calls = 0
            return den
        raise ModelError(f"{path.name}: no execution provider could run it ({'; '.join(notes)})")

    def warmup(self, batch: int = 1) -> None:
        """One forward at the model's window shape (allocates buffers, checks it runs)."""
        m = self.info.mel
        self.predict(np.zeros((batch, 1, m.n_mels, m.window_frames), np.float32), np.zeros(batch, np.int64))

    def predict(self, x: np.ndarray, t: np.ndarray, cond: np.ndarray | None = None) -> np.ndarray:
        """The network's raw output (v or eps, as ``info.prediction_type`` says).

        ``cond``: a conditioned model's control planes ``(batch, channels, n_mels, frames)``
        (bridge.controls); None (or all zero) runs it without controls. An unconditional
        model ignores it.
        """
        m = self.info.mel
        if x.ndim != 4 or x.shape[1] != 1 or x.shape[2] != m.n_mels:
            raise ParameterError(f"x: expected shape (batch, 1, {m.n_mels}, frames), got {x.shape}")
        if x.shape[3] % m.frame_multiple or x.shape[3] == 0:
            raise ParameterError(f"x: frames must be a positive multiple of {m.frame_multiple}, got {x.shape[3]}")
        t = np.asarray(t)
        if t.shape != (x.shape[0],):
            raise ParameterError(f"t: expected shape ({x.shape[0]},), got {t.shape}")
        x = np.ascontiguousarray(x, dtype=np.float32)
        tf = t.astype(np.float32)
        feeds = {self.info.inputs[0]: x, self.info.inputs[1]: tf}
        n_cond = self.info.cond_channels
        if n_cond:
            if cond is None:
                cond = np.zeros((x.shape[0], n_cond) + x.shape[2:], np.float32)
            elif cond.shape != (x.shape[0], n_cond) + x.shape[2:]:
                raise ParameterError(f"cond: expected shape {(x.shape[0], n_cond) + x.shape[2:]}, got {cond.shape}")
            feeds[self.info.inputs[2]] = np.ascontiguousarray(cond, dtype=np.float32)
        if self.set_aside and time.monotonic() < self.aside_until:
            raise ModelError(self.set_aside)
        self.n_calls += 1
        ort = _import_ort()
        run_options = ort.RunOptions()
        limit = self.call_limit_s * max(1, x.shape[0])
        token = WATCHDOG.watch(limit, lambda: setattr(run_options, "terminate", True))
        try:
            if self.provider == "cuda":
                # CUDA: bind host arrays explicitly so onnxruntime copies once each way. One binding per
                # call: sessions are shared between the stream worker and the background thread.
                b = self.session.io_binding()
                for name, value in feeds.items():
                    b.bind_cpu_input(name, value)
                b.bind_output(self.info.output, "cpu")
                self.session.run_with_iobinding(b, run_options)
                return b.copy_outputs_to_cpu()[0]
            return self.session.run([self.info.output], feeds, run_options)[0]
        except Exception as e:  # onnxruntime's own types (Fail, InvalidArgument, RuntimeException, ...)
            if run_options.terminate:  # the watchdog stopped it: this model does not finish
                self.set_aside = (f"model {self.info.instrument}: set aside after a forward that ran over "
                                  f"{limit:.1f} s and was stopped; tried again in {ASIDE_S:.0f} s")
                self.aside_until = time.monotonic() + ASIDE_S
                log.error("%s", self.set_aside)
                raise ModelError(self.set_aside) from None
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
            raise ModelError(f"model {self.info.instrument}: onnxruntime failed on a batch of {x.shape[0]} "
                             f"x {x.shape[3]} frames on {self.provider.upper()} ({first})") from e
        finally:
            WATCHDOG.done(token)

    def __call__(self, x: np.ndarray, t: np.ndarray, cond: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        pred = self.predict(x, t, cond)
        ab = alpha_bar_at(self.info.alpha_bar, t).astype(np.float32)
        if self.info.prediction_type == "v":
            return v_to_eps_x0(x, pred, ab)
        return eps_to_eps_x0(x, pred, ab)


def pick_student(models: Mapping[str, Denoiser], preset, steps: int) -> Denoiser | None:
    """The target's distilled student (``NAME.student``) if the preset allows it and it fits, else None.

    It fits when it was distilled from this very target file (its content hash), for at
    least ``steps`` steps and a strength range that holds the preset's strength.
    """
    name = f"{preset.target}.student"
    if not preset.sampler.student or name not in models:
        return None
    student, teacher = models[name], models[preset.target]
    s = student.info.student
    if (s is None or s["teacher_hash"] != teacher.info.content_hash or steps > s["max_steps"]
            or preset.sampler.strength > s["strength_max"] + 1e-9):
        return None
    return student


def model_dirs(extra: Iterable[Path | str] = ()) -> list[Path]:
    """Where models are looked up: given folders first, then ``$BRIDGE_MODELS``, then the package's own."""
    dirs = [Path(d) for d in extra]
    env = os.environ.get("BRIDGE_MODELS")
    if env:
        dirs += [Path(p) for p in env.split(os.pathsep) if p]
    dirs.append(PACKAGE_MODELS)
    return dirs


def find_models(dirs: Iterable[Path]) -> dict[str, Path]:
    """Maps model names (file stems) to paths; earlier folders win."""
    found: dict[str, Path] = {}
    for d in dirs:
        if Path(d).is_dir():
            for p in sorted(Path(d).glob("*.onnx")):
                found.setdefault(p.stem, p)
    return found


def resolve_model(name_or_path: str, dirs: Iterable[Path]) -> Path:
    """A model by name (looked up in ``dirs``) or by path to an ``.onnx`` file."""
    p = Path(name_or_path)
    if p.suffix == ".onnx" and p.is_file():
        return p
    models = find_models(dirs)
    if name_or_path in models:
        return models[name_or_path]
    raise ModelError(
        f"model: unknown name {name_or_path!r}; available: {', '.join(sorted(models)) or 'none'} "
        f"(looked in {', '.join(str(d) for d in dirs)})"
    )


class ModelSet(Mapping):
    """Denoisers by name, loaded on first use; the provider is probed once for the set.

    ``provider`` is "auto" (CUDA when it really runs, else CPU), "cuda" (CUDA or fail)
    or "cpu". After one model failed on CUDA the others go straight to CPU, so the
    probe and its reason are said once.
    """

    def __init__(self, dirs: Iterable[Path | str] = (), provider: str = "auto", threads: int = 0,
                 spinning: bool = False):
        if provider not in ("auto", "cuda", "cpu"):
            raise ParameterError(f"provider: expected auto, cuda or cpu, got {provider!r}")
        self.dirs = model_dirs(dirs)
        self.requested = provider
        self.threads = threads
        self.spinning = spinning
        self._providers: tuple[str, ...] = {"auto": ("cuda", "cpu"), "cuda": ("cuda",), "cpu": ("cpu",)}[provider]
        self._loaded: dict[str, Denoiser] = {}
        self.provider: str | None = None
        self.provider_note = "no model loaded yet"

    def paths(self) -> dict[str, Path]:
        return find_models(self.dirs)

    def __getitem__(self, name: str) -> Denoiser:
        if name not in self._loaded:
            self._loaded[name] = self.load(name)
        return self._loaded[name]

    def load(self, name: str) -> Denoiser:
        """Loads (or reloads) ``name`` from disk, replacing any loaded copy on success.

        A broken file of that name in an earlier folder falls back to the next one (a
        damaged copy in ``--models`` leaves the shipped model in service), said in the log.
        """
        paths = [Path(d) / f"{name}.onnx" for d in self.dirs if (Path(d) / f"{name}.onnx").is_file()]
        if not paths:
            paths = [resolve_model(name, self.dirs)]  # a path, or the error listing what exists
        for i, path in enumerate(paths):
            try:
                den = Denoiser.load(path, self._providers, self.threads, self.spinning)
                break
            except ModelError as e:
                if i == len(paths) - 1:
                    raise
                log.warning("%s; using %s instead", e, paths[i + 1])
        if self.provider is None or den.provider != self.provider:
            self.provider, self.provider_note = den.provider, den.provider_note
            if den.provider == "cpu" and "cuda" in self._providers:
                self._providers = ("cpu",)
            log.info("execution provider: %s (%s)", den.provider.upper(), den.provider_note)
        self._loaded[name] = den
        return den

    def __iter__(self):
        return iter(self.paths())

    def __len__(self) -> int:
        return len(self.paths())

    def __contains__(self, name) -> bool:
        return name in self._loaded or name in self.paths()

    @property
    def loaded(self) -> dict[str, Denoiser]:
        return dict(self._loaded)
