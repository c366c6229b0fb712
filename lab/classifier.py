"""The instrument classifier of ``bridge eval``: multinomial logistic regression, numpy and scipy only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from bridge.errors import ParameterError


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class Classifier:
    """Multinomial logistic regression on standardised window features.

    Fitted by L-BFGS on the class-balanced cross-entropy with an L2 penalty on the
    weights. ``embed`` gives the centred logits (the space of the Fréchet distance).
    """

    classes: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # (n_features, n_classes)
    bias: np.ndarray  # (n_classes,)
    l2: float = 1e-2
    info: dict = field(default_factory=dict)

    @classmethod
    def fit(cls, X: np.ndarray, labels: Sequence[str] | np.ndarray, classes: Sequence[str] | None = None,
            l2: float = 1e-2, max_iter: int = 300) -> "Classifier":
        from scipy.optimize import minimize

        X = np.asarray(X, dtype=np.float64)
        labels = np.asarray(labels)
        if X.ndim != 2 or len(X) != len(labels) or len(X) == 0:
            raise ParameterError(f"fit: expected X (n, d) and n labels, got {X.shape} and {labels.shape}")
        if not np.all(np.isfinite(X)):
            raise ParameterError("fit: features contain NaN or infinite values")
        classes = tuple(classes) if classes is not None else tuple(sorted(set(labels.tolist())))
        missing = sorted(set(classes) - set(labels.tolist()))
        if len(classes) < 2 or missing:
            raise ParameterError(f"fit: need examples of at least two classes; missing: {', '.join(missing) or '-'}")
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[str(v)] for v in labels])
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[scale < 1e-9] = 1.0
        Z = (X - mean) / scale
        n, d = Z.shape
        k = len(classes)
        counts = np.bincount(y, minlength=k).astype(np.float64)
        w = (n / (k * counts))[y] / n  # class-balanced sample weights summing to 1
        Y = np.eye(k)[y]

        def loss(theta):
            W = theta[: d * k].reshape(d, k)
            b = theta[d * k :]
            logits = Z @ W + b
            logits -= logits.max(axis=1, keepdims=True)
            logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
            f = -(w * (Y * logp).sum(axis=1)).sum() + 0.5 * l2 * (W**2).sum()
            G = (np.exp(logp) - Y) * w[:, None]
            return f, np.concatenate([(Z.T @ G + l2 * W).ravel(), G.sum(axis=0)])

        res = minimize(loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B",
                       options={"maxiter": max_iter, "gtol": 1e-6})
        W = res.x[: d * k].reshape(d, k)
        b = res.x[d * k :]
        return cls(classes, mean, scale, W, b, float(l2),
                   {"n_train": int(n), "n_features": int(d), "converged": bool(res.success),
                    "iterations": int(res.nit)})

    def standardize(self, X: np.ndarray) -> np.ndarray:
        """Features in training standard deviations from the training mean."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.mean):
            raise ParameterError(f"features: expected shape (n, {len(self.mean)}), got {X.shape}")
        return (X - self.mean) / self.scale

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n, n_classes) class probabilities, columns in ``classes`` order."""
        return _softmax(self.standardize(X) @ self.weights + self.bias)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.array(self.classes)[np.argmax(self.predict_proba(X), axis=1)]

    def embed(self, X: np.ndarray) -> np.ndarray:
        """(n, n_classes): centred logits (softmax ignores their mean, so it is removed)."""
        z = self.standardize(X) @ self.weights + self.bias
        return z - z.mean(axis=1, keepdims=True)

    def index(self, name: str) -> int:
        if name not in self.classes:
            raise ParameterError(f"target: the classifier knows {', '.join(self.classes)}, not {name!r}")
        return self.classes.index(name)

    def to_arrays(self, prefix: str = "clf_") -> dict:
        return {prefix + "mean": self.mean, prefix + "scale": self.scale, prefix + "weights": self.weights,
                prefix + "bias": self.bias,
                prefix + "meta": np.array(json.dumps({"classes": self.classes, "l2": self.l2, "info": self.info}))}

    @classmethod
    def from_arrays(cls, a: Mapping[str, np.ndarray], prefix: str = "clf_") -> "Classifier":
        meta = json.loads(str(a[prefix + "meta"]))
        return cls(tuple(meta["classes"]), a[prefix + "mean"], a[prefix + "scale"], a[prefix + "weights"],
                   a[prefix + "bias"], meta["l2"], meta["info"])


def accuracy_report(clf: Classifier, X: np.ndarray, labels: np.ndarray, groups: np.ndarray | None = None) -> dict:
    """Window accuracy, per-class recall and confusion; phrase accuracy when ``groups`` names phrases."""
    labels = np.asarray(labels)
    proba = clf.predict_proba(X)
    pred = np.array(clf.classes)[proba.argmax(axis=1)]
    out = {"windows": int(len(labels)), "accuracy": float(np.mean(pred == labels)),
           "recall": {c: float(np.mean(pred[labels == c] == c)) for c in clf.classes if np.any(labels == c)},
           "confusion": {c: {d: int(np.sum((labels == c) & (pred == d))) for d in clf.classes}
                         for c in clf.classes if np.any(labels == c)}}
    if groups is not None:
        groups = np.asarray(groups)
        hits = []
        for g in np.unique(groups):
            m = groups == g
            hits.append(clf.classes[int(proba[m].mean(axis=0).argmax())] == labels[m][0])
        out["phrases"] = int(len(hits))
        out["phrase_accuracy"] = float(np.mean(hits))
    return out
