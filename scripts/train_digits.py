"""Train the handwritten-digit CNN for comb cells and export it to ONNX (training only: torch).

    pip install -r requirements-train.txt
    python scripts/train_digits.py    # shipped model: seeds 4 and 5, ~35 min each on 2 cores
    python scripts/eval_digits.py     # also run at the end of training, with --write-meta

Each member (one per ``--seeds`` value) is trained on its own augmentation of the data and
exported to ``var/digit-training/member-seed<N>.onnx``; the members are merged into ONE ONNX
graph that averages their logits (``--members a.onnx b.onnx`` merges existing members only).

Data: the "train" split of ``lab.digit_data`` (MNIST slice, Semeion writer blocks, sklearn
digits) plus digits rendered from the fonts installed on the machine. Every
training sample is augmented (elastic distortion, affine with slant, stroke width), drawn with a
pen into a comb cell (black / dropout-red / no border, 200-600 dpi, border remnants, blur, noise,
JPEG) and read back through the runtime preprocessing (``digits.prepare_cell``), so the network
sees exactly what it will see at runtime; 12 % skip the cell and only get normalised. Output:
``ocr/pipeline/engines/models/digits.onnx`` and ``digits.json`` (temperature fitted on the
calibration split drawn in comb cells; data hashes, split sizes, fonts, held-out figures).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab import digit_data as dd  # noqa: E402
from ocr.pipeline.engines import digits as dg  # noqa: E402

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


# --------------------------------------------------------------------------- synthetic fonts


def font_digits() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Digits 0-9 rendered from every installed font (normalised 28x28, ink 255 on 0)."""
    from PIL import Image, ImageDraw, ImageFont

    files = sorted(
        p
        for d in FONT_DIRS
        if d.exists()
        for p in d.rglob("*")
        if p.suffix in (".ttf", ".ttc", ".otf")
    )
    images, labels, used = [], [], []
    for path in files:
        try:
            font = ImageFont.truetype(str(path), 64)
        except OSError:
            continue
        ok = 0
        for k in range(10):
            im = Image.new("L", (128, 128), 0)
            ImageDraw.Draw(im).text((32, 16), str(k), fill=255, font=font)
            arr = np.asarray(im)
            if arr.max() == 0:
                continue
            images.append(dg.normalise_digit(arr))
            labels.append(k)
            ok += 1
        if ok:
            used.append(path.name)
    return np.stack(images), np.array(labels, np.int64), used


# --------------------------------------------------------------------------- augmentation


def distort(img28: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Elastic distortion, affine (rotation, slant, scale) and stroke width, at 2x resolution."""
    im = cv2.resize(img28, (56, 56), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    im = cv2.copyMakeBorder(im, 16, 16, 16, 16, cv2.BORDER_CONSTANT, value=0)
    n = im.shape[0]
    if rng.random() < 0.8:
        sigma, alpha = rng.uniform(5, 9), rng.uniform(1.5, 4.5)
        field = []
        for _ in range(2):
            f = cv2.GaussianBlur(rng.uniform(-1, 1, (n, n)).astype(np.float32), (0, 0), sigma)
            field.append(f / (np.abs(f).max() + 1e-6) * alpha)
        gy, gx = np.indices((n, n), dtype=np.float32)
        im = cv2.remap(im, gx + field[0], gy + field[1], cv2.INTER_LINEAR)
    ang = np.deg2rad(rng.normal(0, 7))
    shear = rng.uniform(-0.35, 0.35)
    sx, sy = rng.uniform(0.7, 1.15), rng.uniform(0.85, 1.1)
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    a = rot @ np.array([[1, shear], [0, 1]]) @ np.diag([sx, sy])
    c = np.array([n / 2, n / 2])
    m = np.hstack([a, (c - a @ c)[:, None]]).astype(np.float32)
    im = cv2.warpAffine(im, m, (n, n), flags=cv2.INTER_LINEAR)
    r = rng.random()
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    if r < 0.2:
        im = cv2.dilate(im, k, iterations=int(rng.integers(1, 3)))
    elif r < 0.4:
        thin = cv2.erode(im, k)
        if (thin > 128).sum() > 40:
            im = thin
    return np.clip(im, 0, 255).astype(np.uint8)


def augment_one(img28: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """One training sample: distorted digit, usually drawn in a comb cell and read back."""
    d = distort(img28, rng)
    if not d.any():
        return None
    if rng.random() < 0.12:
        out = dg.normalise_digit(d)
        if rng.random() < 0.5:
            out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 0.8))
        return out
    crossing = rng.random() < 0.1
    cell = dd.render_comb_cell(
        d,
        rng,
        dpi=float(rng.uniform(200, 600)),
        border=str(rng.choice(["black", "red", "none"], p=[0.4, 0.4, 0.2])),
        height_frac=(0.8, 1.05) if crossing else (0.4, 0.85),
        shift_frac=0.14 if crossing else 0.08,
        stroke_gain=float(rng.uniform(0.7, 1.5)),
        blur=(0.2, 1.3),
        noise=(1.0, 8.0),
        jpeg=0.4,
        clean=rng.random() > 0.12,
        margin_px=(-3.0, 8.0),
    )
    img, _ = dg.prepare_cell(cell)
    return img


def _worker(args: tuple[np.ndarray, np.ndarray, int]) -> tuple[np.ndarray, np.ndarray]:
    images, labels, seed = args
    cv2.setNumThreads(1)
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for im, lab in zip(images, labels, strict=True):
        out = augment_one(im, rng)
        if out is not None:
            xs.append(out)
            ys.append(lab)
    return np.stack(xs), np.array(ys, np.int64)


def make_augmented(
    images: np.ndarray, labels: np.ndarray, copies: int, seed: int, procs: int
) -> tuple[np.ndarray, np.ndarray]:
    jobs = []
    for _ in range(copies):
        for part in np.array_split(np.arange(len(images)), procs):
            jobs.append((images[part], labels[part], seed * 100_003 + len(jobs)))
    if procs <= 1:
        res = [_worker(job) for job in jobs]
        return np.concatenate([r[0] for r in res]), np.concatenate([r[1] for r in res])
    # spawn, not fork: a forked child of a process that ran OpenMP/torch threads can deadlock.
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        res = pool.map(_worker, jobs)
    return np.concatenate([r[0] for r in res]), np.concatenate([r[1] for r in res])


# --------------------------------------------------------------------------- model


def build_model():  # -> torch.nn.Module
    import torch.nn as nn

    def block(cin: int, cout: int) -> list:
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(
        *block(1, 32),
        nn.MaxPool2d(2),
        *block(32, 64),
        *block(64, 64),
        nn.MaxPool2d(2),
        *block(64, 128),
        *block(128, 128),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(128 * 3 * 3, 10),
    )


def jitter(xb, gen):  # (torch.Tensor, torch.Generator) -> torch.Tensor
    """Fresh small affine (rotation, scale, shear, shift) per sample and epoch, on top of the
    precomputed cell augmentation; a quarter of the batch is left as it is."""
    import torch
    import torch.nn.functional as F

    n = len(xb)

    def u(lo: float, hi: float):
        return torch.rand(n, generator=gen) * (hi - lo) + lo

    ang, scale, shear = u(-0.14, 0.14), u(0.9, 1.1), u(-0.2, 0.2)
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.stack(
        [
            torch.stack([cos, -sin + shear, u(-0.1, 0.1)], 1),
            torch.stack([sin, cos, u(-0.1, 0.1)], 1),
        ],
        1,
    )
    keep = torch.rand(n, generator=gen) < 0.25
    theta[keep] = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    grid = F.affine_grid(theta, list(xb.shape), align_corners=False)
    return F.grid_sample(xb, grid, align_corners=False, padding_mode="zeros")


def calib_accuracy(model) -> str:
    """Accuracy on the calibration split's normalised digits (never the evaluation split):
    the figure watched while training."""
    import torch

    parts = []
    for source in ("semeion", "mnist"):
        x, y = dd.load_split("calib", source)
        with torch.no_grad():
            pred = model(torch.from_numpy(np.array(x)).float().div_(255.0).unsqueeze(1)).argmax(1)
        parts.append(f"calib {source} {float((pred.numpy() == y).mean()):.4f}")
    return ", ".join(parts)


def train(
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    seed: int,
    log: list[str],
    model=None,  # torch.nn.Module to go on training (fine-tuning); a new one when None
    lr: float = 3e-3,
):
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    model = build_model() if model is None else model
    xt = torch.from_numpy(x).float().div_(255.0).unsqueeze(1)
    yt = torch.from_numpy(y)
    bs = 128
    steps = epochs * ((len(xt) + bs - 1) // bs)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    g = torch.Generator().manual_seed(seed)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        t0, tot, correct, n = time.time(), 0.0, 0, 0
        for i in range(0, len(perm), bs):
            idx = perm[i : i + bs]
            xb, yb = jitter(xt[idx], g), yt[idx]
            # Light contrast jitter on top of the precomputed augmentation.
            xb = (xb * torch.empty(len(xb), 1, 1, 1).uniform_(0.8, 1.1)).clamp_(0, 1)
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach()) * len(idx)
            correct += int((out.argmax(1) == yb).sum())
            n += len(idx)
        took = time.time() - t0
        model.eval()
        msg = (
            f"epoch {ep + 1}/{epochs}: loss {tot / n:.4f} acc {correct / n:.4f}; "
            f"{calib_accuracy(model)} ({took:.0f}s)"
        )
        print(msg, flush=True)
        log.append(msg)
    return model.eval()


def export_onnx(model, path: Path) -> float:
    """Export with a dynamic batch axis and check OpenCV DNN gives the same logits as torch."""
    import torch

    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(
        model,
        dummy,
        str(path),
        opset_version=13,
        dynamo=False,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}},
    )
    x = np.random.default_rng(0).random((7, 1, 28, 28)).astype(np.float32)
    net = cv2.dnn.readNetFromONNX(str(path))
    net.setInput(x)
    got = net.forward()
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    return float(np.abs(got - want).max())


# --------------------------------------------------------------------------- calibration


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood (grid + refinement)."""

    def nll(t: float) -> float:
        p = dg.softmax(logits, t)
        return float(-np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, 1)).mean())

    grid = np.exp(np.linspace(np.log(0.3), np.log(5.0), 121))
    best = min(grid, key=nll)
    fine = np.linspace(best * 0.95, best * 1.05, 41)
    return float(min(fine, key=nll))


def merge_onnx(members: list[Path], out: Path) -> None:
    """One ONNX graph averaging the members' logits, so the runtime still runs ONE forward pass
    (Add + Mul only: operators OpenCV's DNN importer reads)."""
    import onnx
    from onnx import compose, helper, numpy_helper

    models = [onnx.load(str(p)) for p in members]
    first = models[0]
    nodes, inits, outs = [], [], []
    for i, m in enumerate(models):
        pm = compose.add_prefix(m, f"m{i}_")
        for node in pm.graph.node:
            node.input[:] = ["input" if v == f"m{i}_input" else v for v in node.input]
        nodes += list(pm.graph.node)
        inits += list(pm.graph.initializer)
        outs.append(f"m{i}_logits")
    acc = outs[0]
    for i, o in enumerate(outs[1:], 1):
        nodes.append(helper.make_node("Add", [acc, o], [f"sum{i}"]))
        acc = f"sum{i}"
    inits.append(numpy_helper.from_array(np.array(1.0 / len(outs), np.float32), "inv_n"))
    nodes.append(helper.make_node("Mul", [acc, "inv_n"], ["logits"]))
    graph = helper.make_graph(
        nodes, "digits_ensemble", list(first.graph.input), list(first.graph.output), inits
    )
    model = helper.make_model(graph, opset_imports=list(first.opset_import))
    model.ir_version = first.ir_version
    onnx.checker.check_model(model)
    onnx.save(model, str(out))


def train_member(args: argparse.Namespace, seed: int, out: Path) -> dict:
    """Augment with ``seed``, train, export ``out`` (+ ``out.json`` with what was done)."""
    t_start = time.time()
    log: list[str] = []
    x, y = dd.load_split("train")
    sx, sy = dd.load_split("train", "semeion")
    fx, fy, fonts = font_digits()
    print(
        f"train: {len(x)} handwritten (Semeion's {len(sx)} x{args.semeion_repeat}) "
        f"+ {len(fx)} font digits ({len(fonts)} fonts)",
        flush=True,
    )
    # Semeion's European writers (long-flag 1, crossed 7) are the scarcest style: repeated.
    base_x = np.concatenate(
        [x, np.repeat(sx, args.semeion_repeat - 1, axis=0), np.repeat(fx, args.font_repeat, axis=0)]
    )
    base_y = np.concatenate(
        [y, np.repeat(sy, args.semeion_repeat - 1), np.repeat(fy, args.font_repeat)]
    )
    ax, ay = make_augmented(base_x, base_y, args.copies, seed, args.procs)
    # The clean normalised originals too.
    ax, ay = np.concatenate([ax, base_x]), np.concatenate([ay, base_y])
    gen_s = time.time() - t_start
    print(f"augmented: {len(ax)} samples in {gen_s:.0f}s", flush=True)
    t0 = time.time()
    model = train(ax, ay, args.epochs, seed, log)
    train_s = time.time() - t0
    out.parent.mkdir(parents=True, exist_ok=True)
    diff = export_onnx(model, out)
    print(f"exported {out} ({out.stat().st_size} bytes); opencv-vs-torch {diff:.2e}", flush=True)
    info = {
        "seed": seed,
        "architecture": str(model),
        "fonts": fonts,
        "samples": len(ax),
        "copies": args.copies,
        "semeion_repeat": args.semeion_repeat,
        "epochs": args.epochs,
        "log": log,
        "augment_seconds": round(gen_s),
        "train_seconds": round(train_s),
        "opencv_vs_torch_max_abs_diff": diff,
    }
    out.with_suffix(".json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return info


def calibrate(
    out: Path, members: list[dict], extra: dict | None = None, limit: int | None = None
) -> None:
    """Write ``digits.json`` with the temperature fitted on the calibration split, drawn in
    comb cells like the evaluation (``limit``: its first digits only, for a test's run;
    ``extra``: more metadata, e.g. the fine-tuning record)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from eval_digits import comb_cells

    meta_path = out.with_suffix(".json")
    meta: dict = {
        "model": out.name,
        "ensemble": f"mean of the logits of {len(members)} CNNs (one graph, one forward pass)",
        "input": {"shape": [1, 28, 28], "dtype": "float32", "range": "ink 1.0 on paper 0.0"},
        "normalisation": "digits.normalise_digit: crop to ink, scale into a 20x20 box keeping "
        "the aspect ratio, centre by mass in 28x28; pixel/255 (cv2.dnn.blobFromImages)",
        "classes": list(dg.CLASSES),
        "calibration": {"temperature": 1.0},
        "data": dd.data_fingerprint(),
        "members": members,
        **(extra or {}),
    }
    meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    dg.networks.forget()
    rec = dg.DigitRecognizer(out, meta_path)
    cx, cy = dd.load_split("calib")
    cx, cy = cx[:limit], cy[:limit]
    rng = np.random.default_rng(12345)
    cells, labels = [], []
    for border in ("black", "red"):
        c, lab = comb_cells(cx, cy, rng, border=border, dpi=300.0)
        cells += c
        labels.append(lab)
    lab = np.concatenate(labels)
    prepared = [dg.prepare_cell(c)[0] for c in cells]
    keep = [i for i, p in enumerate(prepared) if p is not None]
    logits = rec.logits([prepared[i] for i in keep])
    t = fit_temperature(logits, lab[keep])
    meta["calibration"] = {
        "temperature": t,
        "method": "temperature scaling, NLL on the calibration split drawn in comb cells",
        "samples": len(keep),
        "calib_accuracy": float((logits.argmax(1) == lab[keep]).mean()),
    }
    meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    print(f"temperature {t:.3f}; calib accuracy {meta['calibration']['calib_accuracy']:.4f}")


# --------------------------------------------------------------------------- fine-tuning

# Exit code of a fine-tuning whose candidate the gate refused (nothing replaced).
REFUSED = 2
REFIT_COMMANDS = (
    ("scripts/eval_digits.py", "--write-meta"),
    ("manage.py", "evaluate", "--calibrate", "--samples", "30", "--workers", "2", "--seed", "7"),
    ("manage.py", "load_thresholds"),
)


def fused_model():  # -> torch.nn.Module
    """``build_model`` as the ONNX export leaves it: each BatchNorm folded into its conv (a
    bias), so a shipped member's weights load into it one to one."""
    import torch.nn as nn

    def block(cin: int, cout: int) -> list:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]

    return nn.Sequential(
        *block(1, 32),
        nn.MaxPool2d(2),
        *block(32, 64),
        *block(64, 64),
        nn.MaxPool2d(2),
        *block(64, 128),
        *block(128, 128),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(128 * 3 * 3, 10),
    )


def members_from_onnx(path: Path) -> list:
    """The CNN members of a model (one, or the several a merged graph averages) as torch
    modules with the model's weights; checked against OpenCV's reading of the same file."""
    import re

    import onnx
    import torch
    from onnx import helper, numpy_helper

    graph = onnx.load(str(path)).graph
    weights = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    layers: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
    for node in graph.node:
        if node.op_type not in ("Conv", "Gemm"):
            continue
        w, b = weights[node.input[1]], weights[node.input[2]]
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Gemm" and not attrs.get("transB", 0):
            w = w.T
        prefix = re.match(r"(m\d+_)?", node.input[1]).group(0)  # merge_onnx's member prefix
        layers.setdefault(prefix, []).append((node.op_type, w, b))
    members = []
    for params in layers.values():
        model = fused_model()
        targets = [m for m in model if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)]
        if [p[0] for p in params] != ["Conv"] * 5 + ["Gemm"]:
            raise ValueError(f"{path} is not this project's digit CNN")
        with torch.no_grad():
            for module, (_, w, b) in zip(targets, params, strict=True):
                if tuple(module.weight.shape) != w.shape:
                    raise ValueError(f"{path}: layer shape {w.shape} is not this CNN's")
                module.weight.copy_(torch.from_numpy(np.array(w, np.float32)))
                module.bias.copy_(torch.from_numpy(np.array(b, np.float32)))
        members.append(model.eval())
    x = np.random.default_rng(0).random((7, 1, 28, 28)).astype(np.float32)
    net = cv2.dnn.readNetFromONNX(str(path))
    net.setInput(x)
    with torch.no_grad():
        mine = np.mean([m(torch.from_numpy(x)).numpy() for m in members], axis=0)
    diff = float(np.abs(net.forward() - mine).max())
    if diff > 1e-3:
        raise ValueError(f"{path}: members read back differ from the model ({diff:.1e})")
    return members


def read_training_set(path: Path):  # -> (ocr.training_cells.TrainingCells, header dict)
    """Decrypt a set from ``manage.py export_training_cells`` with this instance's keys
    (DATA_DIR's, as the server's)."""
    import os

    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yomitoru.settings")
        import django

        django.setup()
    from ocr.training_cells import unpack_training_set

    return unpack_training_set(path.read_bytes())


def fine_tune_data(
    cells: np.ndarray, labels: np.ndarray, args: argparse.Namespace
) -> tuple[np.ndarray, np.ndarray, int]:
    """The verified cells (repeated ``--cell-repeat`` times) mixed with the handwritten
    training split (``--replay`` of them, plus ``--copies`` augmented copies drawn in comb
    cells), so the members learn the town's hands without forgetting the others'."""
    rx, ry = (np.asarray(a) for a in dd.load_split("train"))
    rng = np.random.default_rng(args.seeds[0])
    if args.replay is not None and args.replay < len(ry):
        pick = rng.choice(len(ry), args.replay, replace=False)
        rx, ry = rx[pick], ry[pick]
    xs = [rx, np.repeat(cells, args.cell_repeat, axis=0)]
    ys = [ry, np.repeat(labels, args.cell_repeat)]
    if args.copies > 0 and len(ry):
        ax, ay = make_augmented(rx, ry, args.copies, args.seeds[0], args.procs)
        xs.append(ax)
        ys.append(ay)
    return np.concatenate(xs), np.concatenate(ys), len(ry)


@dataclass(frozen=True)
class GateResult:
    """The candidate against the current model on the same evaluation cells."""

    current_errors: int
    candidate_errors: int
    digits: int

    @property
    def accepted(self) -> bool:
        """Accepted when it loses no accuracy: no more errors on the same cells."""
        return self.candidate_errors <= self.current_errors

    def accuracy(self, errors: int) -> float:
        return 1.0 - errors / self.digits if self.digits else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "digits": self.digits,
            "current_errors": self.current_errors,
            "candidate_errors": self.candidate_errors,
            "current_accuracy": round(self.accuracy(self.current_errors), 5),
            "candidate_accuracy": round(self.accuracy(self.candidate_errors), 5),
            "accepted": self.accepted,
        }

    def report(self) -> str:
        return (
            f"gate (evaluation split in comb cells, {self.digits} digits): current "
            f"{self.accuracy(self.current_errors):.4%} ({self.current_errors} errors), "
            f"candidate {self.accuracy(self.candidate_errors):.4%} "
            f"({self.candidate_errors} errors): "
            + ("accepted" if self.accepted else "REFUSED (it would lose accuracy)")
        )


def acceptance_gate(current: Path, candidate: Path, *, limit: int | None = None) -> GateResult:
    """Both models read the same held-out cells: the evaluation split drawn in comb cells at
    200/300/600 dpi with black and red borders, as ``eval_digits.evaluate`` measures it.
    ``limit`` takes the first digits of each source only: for the gate's own test."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from eval_digits import comb_sets, read_digits

    # A file rewritten under the same name must be read again, not taken from the cache.
    dg.networks.forget()
    readers = [dg.DigitRecognizer(p, p.with_suffix(".json")) for p in (current, candidate)]
    errors, digits = [0, 0], 0
    for _source, _dpi, _border, cells, labels in comb_sets(
        "eval", (300.0, 200.0, 600.0), limit=limit
    ):
        digits += len(labels)
        for i, reader in enumerate(readers):
            errors[i] += int((read_digits(reader, cells)[0] != labels).sum())
    dg.networks.forget()
    return GateResult(errors[0], errors[1], digits)


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def install_model(candidate: Path, out: Path, backup_dir: Path) -> Path | None:
    """Copy the accepted candidate (.onnx and .json) to ``out``; the model it replaces is
    kept in ``backup_dir`` (returned), to go back to."""
    backup = None
    if out.exists():
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        backup = backup_dir / f"replaced-{stamp}.onnx"
        shutil.copyfile(out, backup)
        if out.with_suffix(".json").exists():
            shutil.copyfile(out.with_suffix(".json"), backup.with_suffix(".json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(candidate.with_suffix(".json"), out.with_suffix(".json"))
    shutil.copyfile(candidate, out)
    return backup


def fine_tune(args: argparse.Namespace) -> int:
    """Fine-tune ``--base``'s members on a verified-cell set, gate, install: the exit code."""
    cells, header = read_training_set(args.fine_tune)
    if not len(cells):
        print("the training set holds no cells", file=sys.stderr)
        return 1
    print(f"training set: {len(cells)} verified cells {header.get('by_kind')}", flush=True)
    members = members_from_onnx(args.base)
    x, y, replayed = fine_tune_data(cells.images, cells.labels, args)
    print(
        f"fine-tuning {len(members)} member(s) of {args.base.name} on {len(x)} samples "
        f"({len(cells)} cells x{args.cell_repeat}, {replayed} training digits, "
        f"{args.copies} augmented copies), {args.epochs} epoch(s) at lr {args.lr}",
        flush=True,
    )
    args.work.mkdir(parents=True, exist_ok=True)
    candidate = args.work / "fine-tune-candidate.onnx"
    paths, infos = [], []
    for i, member in enumerate(members):
        log: list[str] = []
        t0 = time.time()
        tuned = train(x, y, args.epochs, args.seeds[0] + i, log, model=member, lr=args.lr)
        path = args.work / f"fine-tune-member{i}.onnx"
        diff = export_onnx(tuned, path)
        paths.append(path)
        infos.append({"log": log, "seconds": round(time.time() - t0), "opencv_diff": diff})
    if len(paths) == 1:
        shutil.copyfile(paths[0], candidate)
    else:
        merge_onnx(paths, candidate)
    base_meta = json.loads(args.base.with_suffix(".json").read_text("utf-8"))
    record = {
        "base_sha256": _sha256(args.base),
        "cells": len(cells),
        "cells_by_kind": header.get("by_kind"),
        "set_created_at": header.get("created_at"),
        "cell_repeat": args.cell_repeat,
        "replayed_training_digits": replayed,
        "copies": args.copies,
        "epochs": args.epochs,
        "lr": args.lr,
        "members": infos,
    }
    history = [*base_meta.get("fine_tuning", []), record]
    t0 = time.time()
    calibrate(
        candidate,
        base_meta.get("members", []),
        extra={"fine_tuning": history},
        limit=args.calib_limit,
    )
    t1 = time.time()
    gate = acceptance_gate(args.base, candidate, limit=args.gate_limit)
    print(f"{gate.report()} (calibration {t1 - t0:.0f}s, gate {time.time() - t1:.0f}s)", flush=True)
    if not gate.accepted:
        print(
            f"nothing replaced: {args.out} is unchanged; the refused candidate is {candidate}",
            file=sys.stderr,
        )
        return REFUSED
    meta = json.loads(candidate.with_suffix(".json").read_text("utf-8"))
    meta["fine_tuning"][-1]["gate"] = gate.as_dict()
    candidate.with_suffix(".json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    backup = install_model(candidate, args.out, args.work)
    print(f"installed {args.out}" + (f" (the model it replaced: {backup})" if backup else ""))
    return refit(args)


def refit(args: argparse.Namespace) -> int:
    """The calibration and thresholds belong to the model: print (or run, ``--refit``) the
    commands that fit them again with the model now installed."""
    commands = [[sys.executable, str(ROOT / c[0]), *c[1:]] for c in REFIT_COMMANDS]
    if args.out.resolve() != dg.MODEL_PATH.resolve():
        print(
            f"the model was written to {args.out}, not the reader's {dg.MODEL_PATH}: copy it "
            "(with its .json) there, then refit the calibration and thresholds:"
        )
    elif args.refit:
        for command in commands:
            print("running:", " ".join(command[1:]), flush=True)
            subprocess.run(command, check=True, cwd=ROOT)
        print("restart the workers (qcluster) and the web server: each loads the model once")
        return 0
    else:
        print("now refit the calibration and thresholds for it (same DATA_DIR as the server):")
    for command in commands:
        print("  python " + " ".join(command[1:]))
    print("then restart the workers (qcluster) and the web server: each loads the model once")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--copies", type=int, help="augmented copies of each sample (8; fine-tune 1)")
    ap.add_argument("--epochs", type=int, help="epochs (12; fine-tune 2)")
    ap.add_argument("--font-repeat", type=int, default=3)
    ap.add_argument("--semeion-repeat", type=int, default=3, help="times each Semeion digit")
    ap.add_argument("--seeds", type=int, nargs="+", default=[4, 5], help="one member per seed")
    ap.add_argument("--procs", type=int, default=2, help="processes for the augmentation")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: best on a busy box)")
    ap.add_argument("--out", type=Path, default=dg.MODEL_PATH)
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "digit-training")
    ap.add_argument(
        "--members", type=Path, nargs="+", help="merge these trained member .onnx, no training"
    )
    ap.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation")
    tuning = ap.add_argument_group("fine-tuning on cells from manage.py export_training_cells")
    tuning.add_argument("--fine-tune", type=Path, metavar="ENCRYPTED_FILE")
    tuning.add_argument("--base", type=Path, default=dg.MODEL_PATH, help="the model to improve")
    tuning.add_argument("--lr", type=float, default=3e-4, help="peak learning rate")
    tuning.add_argument("--cell-repeat", type=int, default=4, help="times each verified cell")
    tuning.add_argument("--replay", type=int, help="training digits mixed in (default: all)")
    tuning.add_argument("--refit", action="store_true", help="run the refit commands after")
    # Tests only: a subset of the calibration / evaluation split, to run in seconds.
    tuning.add_argument("--calib-limit", type=int, help=argparse.SUPPRESS)
    tuning.add_argument("--gate-limit", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    fine = args.fine_tune is not None
    args.copies = args.copies if args.copies is not None else (1 if fine else 8)
    args.epochs = args.epochs if args.epochs is not None else (2 if fine else 12)
    import torch

    torch.set_num_threads(args.threads)
    if fine:
        return fine_tune(args)
    if args.members:
        paths = args.members
        infos = [json.loads(p.with_suffix(".json").read_text("utf-8")) for p in paths]
    else:
        paths = [args.work / f"member-seed{s}.onnx" for s in args.seeds]
        infos = [train_member(args, s, p) for s, p in zip(args.seeds, paths, strict=True)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if len(paths) == 1:
        shutil.copyfile(paths[0], args.out)
    else:
        merge_onnx(paths, args.out)
    calibrate(args.out, infos)
    if args.no_eval:
        return 0
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "eval_digits.py"), "--write-meta"], check=True
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
