"""Quickstart: train a small CNN on scikit-learn's handwritten digits with convjax.

    python examples/train_digits.py            # full run (about a minute on 2 CPU cores)
    python examples/train_digits.py --fast     # a few steps, for CI
    python examples/train_digits.py --recipe torchvision   # torchvision's training recipe

The 1,797 real 8x8 digits ship inside scikit-learn (``load_digits``), so nothing is
downloaded. The model is written like a PyTorch one, module for module:

* ``nn.ColorJitter`` (brightness/contrast, one draw per image) as augmentation,
  active in ``model.train()`` and the identity in ``model.eval()``;
* a sub-pixel stem: ``nn.Conv2d`` to 4x the channels, then ``nn.PixelShuffle(2)``
  (8x8 -> 16x16), as in ESPCN;
* two ``nn.SeparableConv2d`` stages with stride 2, each with ``nn.BatchNorm2d``
  and ``nn.ReLU``; ``nn.AdaptiveAvgPool2d``, ``nn.Flatten``, ``nn.Linear``.

It trains with ``F.cross_entropy`` (``label_smoothing`` as in PyTorch) and
``optax.adamw`` under a learning-rate schedule: ``--schedule cosine`` is PyTorch's
``CosineAnnealingLR`` (``optax.cosine_decay_schedule``), ``--schedule step`` is
``StepLR(step_size, gamma)`` (``optax.exponential_decay(..., staircase=True)``).
``--recipe torchvision`` trains instead with torchvision's classification reference
recipe, written with ``convjax.optim``: ``optim.SGD(momentum=0.9, nesterov=True,
weight_decay=1e-4)`` with no weight decay on the batch-norm parameters
(``--norm-weight-decay 0``, via ``optim.param_groups`` and ``optax.partition``),
label smoothing 0.1, and a linear warmup followed by cosine annealing
(``SequentialLR([LinearLR, CosineAnnealingLR])``), stepped per epoch as torchvision
does (``optim.per_epoch``). It prints ``convjax.analysis.summary`` of the model first, shows a progress bar,
reports the test accuracy at the end, and saves loss/accuracy curves and the
confusion matrix as PNG files in ``--out`` (default ``examples/out/``).
"""

import argparse
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

import convjax.functional as F
from convjax import nn, optim
from convjax.analysis import count_flops, summary

OUT = Path(__file__).resolve().parent / "out"


class DigitsNet(nnx.Module):
    """A small CNN for ``(N, 1, 8, 8)`` digits in [0, 1]."""

    def __init__(self, num_classes: int = 10, width: int = 32, *, rngs: nnx.Rngs):
        self.jitter = nn.ColorJitter(
            brightness=0.4, contrast=0.4, per_sample=True, rngs=rngs
        )
        self.stem = nn.Conv2d(1, 4 * 8, 3, padding=1, rngs=rngs)  # (N, 32, 8, 8)
        self.shuffle = nn.PixelShuffle(2)  # (N, 8, 16, 16)
        self.bn0 = nn.BatchNorm2d(8)
        self.block1 = nnx.Sequential(
            nn.SeparableConv2d(8, width, 3, stride=2, padding=1, rngs=rngs),  # 8x8
            nn.BatchNorm2d(width),
            nn.ReLU(),
        )
        self.block2 = nnx.Sequential(
            nn.SeparableConv2d(
                width, 2 * width, 3, stride=2, padding=1, rngs=rngs
            ),  # 4x4
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(2 * width, num_classes, rngs=rngs)

    def __call__(self, x):
        x = self.jitter(x)
        x = F.relu(self.bn0(self.shuffle(self.stem(x))))
        x = self.block2(self.block1(x))
        return self.fc(self.flatten(self.pool(x)))


def load_data(seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]  # (1797, 1, 8, 8) in [0, 1]
    y = digits.target.astype(np.int32)
    return train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)


def make_schedule(name: str, lr: float, total_steps: int, steps_per_epoch: int):
    if name == "cosine":  # torch.optim.lr_scheduler.CosineAnnealingLR(T_max=total)
        return optax.cosine_decay_schedule(lr, decay_steps=total_steps)
    # StepLR(step_size=epochs // 3, gamma=0.1): decays at epoch boundaries
    step_epochs = max(1, round(total_steps / steps_per_epoch / 3))
    return optax.exponential_decay(
        lr,
        transition_steps=step_epochs * steps_per_epoch,
        decay_rate=0.1,
        staircase=True,
    )


def torchvision_recipe(model, lr, epochs, steps_per_epoch, warmup_epochs):
    """torchvision's references/classification/train.py, with its schedulers.

    ``--opt sgd_nesterov --momentum 0.9 --wd 1e-4 --norm-weight-decay 0
    --lr-scheduler cosineannealinglr --lr-warmup-method linear
    --lr-warmup-epochs W --lr-warmup-decay 0.01``; torchvision steps the scheduler
    once per epoch.
    """
    per_epoch = optim.SequentialLR(
        schedulers=[
            optim.LinearLR(lr, start_factor=0.01, total_iters=warmup_epochs),
            optim.CosineAnnealingLR(lr, T_max=epochs - warmup_epochs),
        ],
        milestones=[warmup_epochs],
    )
    schedule = optim.per_epoch(per_epoch, steps_per_epoch)
    sgd = dict(lr=schedule, momentum=0.9, nesterov=True)
    tx = optax.partition(
        {
            "other": optim.SGD(**sgd, weight_decay=1e-4),
            "norm": optim.SGD(**sgd, weight_decay=0.0),
        },
        optim.param_groups(model),
    )
    return tx, schedule


@nnx.jit(static_argnames="label_smoothing")
def train_step(model, optimizer, x, y, label_smoothing=0.05):
    def loss_fn(model):
        logits = model(x)
        return F.cross_entropy(logits, y, label_smoothing=label_smoothing), logits

    (loss, logits), grads = nnx.value_and_grad(loss_fn, has_aux=True)(model)
    optimizer.update(model, grads)
    return loss, jnp.mean(jnp.argmax(logits, axis=1) == y)


@nnx.jit
def predict(model, x):
    return jnp.argmax(model(x), axis=1)


def evaluate(model, x, y, batch_size=512):
    model.eval()
    preds = np.concatenate(
        [
            np.asarray(predict(model, x[i : i + batch_size]))
            for i in range(0, len(x), batch_size)
        ]
    )
    model.train()
    return float(np.mean(preds == y)), preds


def save_figures(history, y_true, y_pred, out: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax1.plot(epochs, history["loss"], "o-", label="train loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("cross-entropy")
    ax1.set_title("Training loss")
    ax1.grid(alpha=0.3)
    ax1b = ax1.twinx()
    ax1b.plot(epochs, history["lr"], color="gray", ls="--", label="learning rate")
    ax1b.set_ylabel("learning rate", color="gray")
    ax2.plot(epochs, history["train_acc"], "o-", label="train (augmented)")
    ax2.plot(epochs, history["test_acc"], "s-", label="test")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.set_ylim(min(0.5, min(history["test_acc"])), 1.0)
    ax2.set_title(f"Accuracy (final test {history['test_acc'][-1]:.1%})")
    ax2.grid(alpha=0.3)
    ax2.legend(loc="lower right")
    fig.tight_layout()
    curves = out / "train_digits_curves.png"
    fig.savefig(curves, dpi=110)
    plt.close(fig)

    cm = np.zeros((10, 10), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(cm, cmap="Blues")
    for i in range(10):
        for j in range(10):
            if cm[i, j]:
                color = "white" if cm[i, j] > cm.max() / 2 else "black"
                ax.text(
                    j, i, cm[i, j], ha="center", va="center", color=color, fontsize=8
                )
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"Confusion matrix, test set ({len(y_true)} digits)")
    fig.tight_layout()
    confusion = out / "train_digits_confusion.png"
    fig.savefig(confusion, dpi=110)
    plt.close(fig)
    return curves, confusion


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help="3e-3 (default recipe), 0.1 (torchvision)",
    )
    parser.add_argument("--schedule", choices=("cosine", "step"), default="cosine")
    parser.add_argument(
        "--recipe",
        choices=("default", "torchvision"),
        default="default",
        help="default: AdamW + --schedule; torchvision: SGD nesterov, warmup + cosine",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--fast", action="store_true", help="2 short epochs (CI smoke test)"
    )
    args = parser.parse_args(argv)
    from tqdm import tqdm

    start = time.perf_counter()
    x_train, x_test, y_train, y_test = load_data(args.seed)
    epochs = 2 if args.fast else args.epochs
    steps_per_epoch = 4 if args.fast else len(x_train) // args.batch_size
    total = epochs * steps_per_epoch

    model = DigitsNet(rngs=nnx.Rngs(args.seed))
    print(summary(model, jax.ShapeDtypeStruct((1, 1, 8, 8), jnp.float32)))
    flops = count_flops(model, jax.ShapeDtypeStruct((1, 1, 8, 8), jnp.float32))
    print(
        f"{flops.macs:,} MACs per image (count_flops); {len(x_train)} train / {len(x_test)} test digits"
    )

    if args.recipe == "torchvision":
        lr = 0.1 if args.lr is None else args.lr
        warmup = 1 if args.fast else 2
        tx, schedule = torchvision_recipe(model, lr, epochs, steps_per_epoch, warmup)
        smoothing = 0.1
    else:
        lr = 3e-3 if args.lr is None else args.lr
        schedule = make_schedule(args.schedule, lr, total, steps_per_epoch)
        tx, smoothing = optax.adamw(schedule, weight_decay=1e-4), 0.05
    optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
    rng = np.random.default_rng(args.seed)
    history = {"loss": [], "train_acc": [], "test_acc": [], "lr": []}
    bar = tqdm(
        range(epochs),
        desc="training",
        unit="epoch",
        disable=os.environ.get("TQDM_DISABLE") == "1",
    )
    for epoch in bar:
        order = rng.permutation(len(x_train))
        losses, accs = [], []
        for i in range(steps_per_epoch):
            idx = order[i * args.batch_size : (i + 1) * args.batch_size]
            loss, acc = train_step(
                model,
                optimizer,
                jnp.asarray(x_train[idx]),
                jnp.asarray(y_train[idx]),
                label_smoothing=smoothing,
            )
            losses.append(float(loss))
            accs.append(float(acc))
        test_acc, _ = evaluate(model, x_test, y_test)
        history["loss"].append(np.mean(losses))
        history["train_acc"].append(np.mean(accs))
        history["test_acc"].append(test_acc)
        history["lr"].append(float(schedule((epoch + 1) * steps_per_epoch - 1)))
        bar.set_postfix(loss=f"{history['loss'][-1]:.3f}", test_acc=f"{test_acc:.3f}")

    test_acc, preds = evaluate(model, x_test, y_test)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = save_figures(history, y_test, preds, args.out)
    elapsed = time.perf_counter() - start
    smoke = " (--fast smoke test: a few steps, not the trained accuracy)"
    print(
        f"test accuracy: {test_acc:.2%} ({int(round(test_acc * len(y_test)))}/{len(y_test)}) after {epochs} epochs ({args.recipe} recipe), {elapsed:.0f} s"
        + (smoke if args.fast else "")
    )
    for p in paths:
        print(f"saved {p}")
    return test_acc


if __name__ == "__main__":
    main()
