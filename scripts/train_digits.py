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
            pred = model(torch.from_numpy(x).float().div_(255.0).unsqueeze(1)).argmax(1)
        parts.append(f"calib {source} {float((pred.numpy() == y).mean()):.4f}")
    return ", ".join(parts)


def train(x: np.ndarray, y: np.ndarray, epochs: int, seed: int, log: list[str]):
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    model = build_model()
    xt = torch.from_numpy(x).float().div_(255.0).unsqueeze(1)
    yt = torch.from_numpy(y)
    bs = 128
    steps = epochs * ((len(xt) + bs - 1) // bs)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
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


def calibrate(out: Path, members: list[dict]) -> None:
    """Write ``digits.json`` with the temperature fitted on the calibration split, drawn in
    comb cells like the evaluation."""
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
    }
    meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    dg._CACHE.clear()
    rec = dg.DigitRecognizer(out, meta_path)
    cx, cy = dd.load_split("calib")
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--copies", type=int, default=8, help="augmented copies of each sample")
    ap.add_argument("--epochs", type=int, default=12)
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
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
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
        return
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "eval_digits.py"), "--write-meta"], check=True
    )


if __name__ == "__main__":
    main()
