"""The recognisers' ONNX networks, run on OpenCV's DNN module (no torch at run time).

Each (model, metadata) pair is read once per process and shared by every recogniser made from
it. ``forget`` drops them, for a file rewritten under the same name (the fine-tuning gate).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import cv2

_CACHE: dict[str, tuple[cv2.dnn.Net, dict]] = {}
_LOCK = threading.Lock()


def load(model_path: Path, meta_path: Path) -> tuple[cv2.dnn.Net, dict]:
    """The network of ``model_path`` (CPU, OpenCV backend) and the JSON of ``meta_path``."""
    key = f"{model_path}|{meta_path}"
    with _LOCK:
        if key not in _CACHE:
            net = cv2.dnn.readNetFromONNX(str(model_path))
            net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
            net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            _CACHE[key] = (net, meta)
        return _CACHE[key]


def forget() -> None:
    with _LOCK:
        _CACHE.clear()
