"""Train the handwritten katakana line recogniser (``ocr/pipeline/engines/kana.py``).

Data: synthetic フリガナ fields from ``lab.synthetic.kana_lines`` (readings written by a random
pen in one style family, scanned, then cleaned exactly as the pipeline cleans a field) in the
four TRAINING families of ``lab.synthetic.hand_styles`` (``families_for("train")``). The
held-out family (``HELD_OUT``) is never rendered here except for the final check figures
written to ``kana.json``; ``scripts/eval_kana.py`` gives the full comparison with Tesseract.

Model: conv stack (height 32 -> 1, width / 4), two 1-D convolutions along the line, a 1x1
classifier over blank + ``kana.CHARSET``; CTC loss; no recurrent layer, so OpenCV's DNN
module loads the ONNX export (checked against torch after export).

The rendered lines are cached in ``--work`` (``lines-<family>-<n>-<seed>.npz``), so a second
run with other training settings does not render again.

    .venv/bin/pip install -r requirements-train.txt
    nice -n 10 .venv/bin/python scripts/train_kana.py            # ~25 min on 2 shared cores
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ocr.pipeline.engines import kana  # noqa: E402
from ocr.pipeline.validate import normalize  # noqa: E402
from yomitoru.lib.edit_distance import levenshtein  # noqa: E402

STEPS = kana.INPUT_W // 4


# --------------------------------------------------------------------------- data


def _render(job: tuple[str, int, int, str]) -> tuple[np.ndarray | None, str]:
    from lab.synthetic import kana_lines

    family, seed, index, split = job
    rng = np.random.default_rng([seed, index, sum(map(ord, family))])
    line = kana_lines.random_line(family, rng, split=split)
    return kana.prepare_line(line.image), normalize("katakana", line.text)


def render_family(
    family: str, count: int, seed: int, work: Path, procs: int, split: str = "train"
) -> tuple[np.ndarray, list[str]]:
    """``count`` prepared lines of one family (cached): images (n, H, W) uint8, labels."""
    path = work / f"lines-{family}-{count}-{seed}.npz"
    if path.exists():
        data = np.load(path)
        return data["images"], [str(t) for t in data["labels"]]
    jobs = [(family, seed, i, split) for i in range(count)]
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        results = pool.map(_render, jobs, chunksize=16)
    kept = [(img, text) for img, text in results if img is not None and text]
    images = np.stack([img for img, _ in kept])
    labels = [text for _, text in kept]
    work.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, images=images, labels=np.array(labels))
    print(f"rendered {len(kept)} {family} lines in {time.monotonic() - started:.0f} s", flush=True)
    return images, labels


def encode(labels: list[str], charset: str) -> tuple[np.ndarray, np.ndarray]:
    index = {ch: i + 1 for i, ch in enumerate(charset)}
    codes = [[index[ch] for ch in text if ch in index] for text in labels]
    return np.array([c for cs in codes for c in cs], np.int64), np.array(
        [len(cs) for cs in codes], np.int64
    )


# --------------------------------------------------------------------------- model


def build_model(classes: int):  # -> torch.nn.Module
    import torch.nn as nn

    def conv(cin: int, cout: int) -> list:
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(
        *conv(1, 16),
        nn.MaxPool2d(2),  # 16 x 160
        *conv(16, 24),
        nn.MaxPool2d(2),  # 8 x 80
        *conv(24, 48),
        nn.MaxPool2d((2, 1)),  # 4 x 80
        *conv(48, 64),
        nn.MaxPool2d((2, 1)),  # 2 x 80
        nn.Conv2d(64, 96, (2, 1), bias=False),  # 1 x 80
        nn.BatchNorm2d(96),
        nn.ReLU(),
        nn.Conv2d(96, 96, (1, 5), padding=(0, 2)),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Conv2d(96, 96, (1, 5), padding=(0, 2)),
        nn.ReLU(),
        nn.Conv2d(96, classes, 1),  # (N, classes, 1, STEPS)
    )


def jitter(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cheap train-time augmentation: ink strength, a shift along the line, speckle."""
    out = batch.astype(np.float32) / 255.0
    out *= rng.uniform(0.6, 1.0, (len(out), 1, 1)).astype(np.float32)
    for i in range(len(out)):
        dx = int(rng.integers(0, 7))
        if dx:
            out[i] = np.roll(out[i], dx, axis=1)
    out += (rng.random(out.shape, dtype=np.float32) < 0.002) * 0.6
    return np.clip(out, 0, 1)[:, None]


def decode_all(model, images: np.ndarray, charset: str) -> list[str]:
    import torch

    texts: list[str] = []
    with torch.no_grad():
        for start in range(0, len(images), 128):
            x = torch.from_numpy(images[start : start + 128, None].astype(np.float32) / 255.0)
            logits = model(x).numpy()[:, :, 0, :]
            for row in logits:
                texts.append(kana.ctc_greedy(kana.softmax_steps(row), charset)[0])
    return texts


def scores(predicted: list[str], truth: list[str]) -> dict[str, float]:
    """Per-character accuracy (1 - CER over all characters) and per-field exact match."""
    errors = sum(levenshtein(p, t) for p, t in zip(predicted, truth, strict=True))
    chars = sum(len(t) for t in truth)
    exact = sum(p == t for p, t in zip(predicted, truth, strict=True))
    return {
        "char_accuracy": round(1.0 - errors / max(chars, 1), 4),
        "field_exact": round(exact / max(len(truth), 1), 4),
        "fields": len(truth),
    }


def train(model, images, labels, charset, args, val) -> list[str]:
    import torch

    targets, lengths = encode(labels, charset)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    ctc = torch.nn.CTCLoss(blank=kana.BLANK, zero_infinity=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    n = len(images)
    steps_per_epoch = n // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=0.15
    )
    rng = np.random.default_rng(args.seed)
    log: list[str] = []
    started = time.monotonic()
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(n)
        total = 0.0
        for b in range(steps_per_epoch):
            idx = order[b * args.batch : (b + 1) * args.batch]
            x = torch.from_numpy(jitter(images[idx], rng))
            tgt = torch.from_numpy(
                np.concatenate([targets[offsets[i] : offsets[i + 1]] for i in idx])
            )
            tl = torch.from_numpy(lengths[idx])
            out = model(x)[:, :, 0, :]  # (N, C, T)
            logp = out.permute(2, 0, 1).log_softmax(2)
            il = torch.full((len(idx),), logp.shape[0], dtype=torch.long)
            loss = ctc(logp, tgt, il, tl)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            total += float(loss.detach())
        model.eval()
        vs = scores(decode_all(model, val[0], charset), val[1])
        msg = (
            f"epoch {epoch + 1}/{args.epochs} loss {total / steps_per_epoch:.3f} "
            f"val(train families) char {vs['char_accuracy']:.3f} field {vs['field_exact']:.3f} "
            f"[{time.monotonic() - started:.0f} s]"
        )
        print(msg, flush=True)
        log.append(msg)
    return log


def export_onnx(model, path: Path) -> float:
    """Export with a dynamic batch axis; max |OpenCV DNN - torch| on random input."""
    import torch

    dummy = torch.zeros(1, 1, kana.INPUT_H, kana.INPUT_W)
    torch.onnx.export(
        model,
        (dummy,),
        str(path),
        opset_version=13,
        dynamo=False,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}},
    )
    x = np.random.default_rng(0).random((3, 1, kana.INPUT_H, kana.INPUT_W)).astype(np.float32)
    net = cv2.dnn.readNetFromONNX(str(path))
    net.setInput(x)
    got = net.forward()
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    return float(np.abs(got.reshape(want.shape) - want).max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--per-family", type=int, default=1000, help="training lines per family")
    ap.add_argument("--val-per-family", type=int, default=60)
    ap.add_argument("--held-out", type=int, default=300, help="held-out lines for kana.json")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=48)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "kana-training")
    ap.add_argument("--out", type=Path, default=kana.MODEL_PATH)
    args = ap.parse_args()

    import torch

    from lab.synthetic.hand_styles import HELD_OUT, families_for

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    charset = kana.CHARSET
    families = families_for("train")
    parts = [render_family(f, args.per_family, args.seed, args.work, args.procs) for f in families]
    images = np.concatenate([p[0] for p in parts])
    labels = [t for p in parts for t in p[1]]
    vparts = [
        render_family(f, args.val_per_family, args.seed + 1000, args.work, args.procs)
        for f in families
    ]
    val = (np.concatenate([p[0] for p in vparts]), [t for p in vparts for t in p[1]])
    print(f"training on {len(images)} lines of {', '.join(families)}", flush=True)

    model = build_model(len(charset) + 1)
    started = time.monotonic()
    log = train(model, images, labels, charset, args, val)
    train_seconds = time.monotonic() - started
    diff = export_onnx(model.eval(), args.out)
    size = args.out.stat().st_size / 1e6
    print(f"exported {args.out} ({size:.2f} MB); |cv2 - torch| = {diff:.2e}")

    held = render_family(HELD_OUT, args.held_out, args.seed + 2000, args.work, args.procs, "eval")
    held_scores = scores(decode_all(model, held[0], charset), held[1])
    val_scores = scores(decode_all(model, val[0], charset), val[1])
    print(f"held-out {HELD_OUT}: {held_scores}; training families (val): {val_scores}")
    meta = {
        "charset": charset,
        "input": {"height": kana.INPUT_H, "width": kana.INPUT_W, "steps": STEPS},
        "training_families": list(families),
        "held_out_family": HELD_OUT,
        "training_lines": len(images),
        "epochs": args.epochs,
        "seed": args.seed,
        "train_seconds": round(train_seconds),
        "torch": torch.__version__,
        "opencv_torch_max_abs_diff": diff,
        "figures": {
            "held_out": held_scores,
            "validation_training_families": val_scores,
            "note": "greedy CTC, synthetic lines of kana_lines.random_line; "
            "scripts/eval_kana.py compares with Tesseract",
        },
        "log": log,
    }
    meta_path = args.out.with_suffix(".json")
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {meta_path}")


if __name__ == "__main__":
    main()
