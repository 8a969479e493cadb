"""Train a model on a data set from the command line: ``python -m minigrad.train``.

Each optimisation step minimises the mean batch loss of CURVATURE.md,
``L(θ) = (1/N) Σ_n ℓ(f(x_n; θ), y_n)``: softmax cross-entropy on class labels, or,
for an ``autoencoder-*`` model, its reconstruction loss against the flattened
input scaled to [0, 1]. The optimizer (``optim.create``) is called as
``optimizer.step(closure)`` with a ``minigrad.curvature.Closure``: calling it
zeroes the gradients, evaluates ``L`` and back-propagates, and it offers
curvature products and Kronecker factors to second-order methods.

A run, with ``--out DIR``:

* splits the training set (seeded) into ``train_size`` training and ``val_size``
  validation samples (default 10% for validation), draws ``test_size`` test samples;
* logs every ``log_every`` batches and after each epoch (loss, accuracy,
  samples/s, elapsed seconds), validates after each epoch and calls
  ``optimizer.observe_validation_loss`` when the optimizer has it;
* writes, atomically after every epoch (and once before the first),
  ``DIR/checkpoint.npz`` (model, optimizer, shuffling and dropout generator
  states, epoch and metrics; see ``minigrad.checkpoint``), ``DIR/metrics.json``
  and ``DIR/curves.png``; ``--resume`` continues from the checkpoint and gives
  the same batch losses as an uninterrupted run;
* stops with ``NonFiniteLossError`` (exit status 1), naming the epoch and batch,
  when a loss or the parameters become non-finite; the last good checkpoint stays.

With no arguments it trains a 784-128-10 MLP with SGD for 2 epochs on MNIST
when ``minigrad.data.load`` finds it locally, else on the synthetic digits.
"""
import argparse
import ast
import json
import math
import os
import sys
import time

import numpy

from . import backend, checkpoint, nn
from .autograd.grad_mode import no_grad
from .curvature import Closure
from .data import DataLoader, Normalize, load, split
from .data.transforms import STATISTICS

CHECKPOINT_FILE, METRICS_FILE, CURVES_FILE = "checkpoint.npz", "metrics.json", "curves.png"
NUM_CLASSES = 10
HISTORY_KEYS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                "epoch_seconds", "samples_per_second")
RESUME_KEYS = ("model", "data", "optim", "batch_size", "lr", "momentum", "weight_decay",
               "optim_args", "hidden", "train_size", "val_size", "test_size", "seed", "dtype")


class NonFiniteLossError(FloatingPointError):
    """Training produced a non-finite loss or non-finite parameters."""


def _print(line):
    print(line, flush=True)


def _resolve_data(name, root, log):
    """``name``; for ``"auto"`` MNIST if it is found locally, else the synthetic digits."""
    if name != "auto":
        return name
    try:
        load("mnist", "test", root=root, download=False)
        name = "mnist"
    except FileNotFoundError:
        name = "synthetic"
    log(f"data: {name} ({'found locally' if name == 'mnist' else 'MNIST not found locally'})")
    return name


def _flat_model(model):
    return model == "mlp" or model.startswith("autoencoder")


def _model_arguments(model, image_shape, hidden):
    """Keyword arguments of ``models.create`` for images of ``image_shape`` (C, H, W)."""
    channels, height, _ = image_shape
    if model == "mlp":
        return {"sizes": [int(numpy.prod(image_shape)), *hidden, NUM_CLASSES]}
    if model.startswith("autoencoder"):
        return {}
    if model == "lenet5":
        return {"num_classes": NUM_CLASSES, "in_channels": channels, "input_size": height}
    return {"num_classes": NUM_CLASSES, "in_channels": channels}


def _transform(data, model, dtype):
    """uint8 images → standardised floats (pixels in [0, 1] for autoencoders), flattened for
    fully connected models."""
    reconstruction = model.startswith("autoencoder")
    scale = Normalize(0.0, 1.0, dtype) if reconstruction else Normalize.for_dataset(data, dtype)
    if not _flat_model(model):
        return scale
    return lambda images: scale(images).reshape(len(images), -1)


def _loss_function(model):
    if model.startswith("autoencoder"):
        import models
        return models.reconstruction_loss(model[len("autoencoder-"):])
    return nn.CrossEntropyLoss()


def _step(optimizer, model, loss_fn, x, target):
    """One optimizer step; returns the loss before it (a float) and the outputs it came from."""
    closure = Closure(model, loss_fn, x, target)
    loss = optimizer.step(closure)
    if loss is None:
        raise TypeError(f"{type(optimizer).__name__}.step(closure) returned None instead of "
                        f"the loss the closure computed")
    return float(loss.item()), closure.output


def _correct(output, y):
    """How many rows of ``output`` have their largest entry at the label ``y``."""
    return int(backend.to_host((output.data.argmax(axis=1) == y.data)).sum())


def _evaluate(model, loader, loss_fn, reconstruction):
    """Mean loss and accuracy (``None`` for reconstruction) over ``loader``, in eval mode."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with no_grad():
        for x, y in loader:
            target = x if reconstruction else y
            output = model(x)
            total_loss += float(loss_fn(output, target).item()) * len(x)
            correct += 0 if reconstruction else _correct(output, y)
            count += len(x)
    model.train()
    return total_loss / count, (None if reconstruction else correct / count)


def _parameters_finite(model):
    return all(bool(p.xp.isfinite(p.data).all()) for p in model.parameters())


def _write_metrics(out, metrics):
    text = json.dumps(metrics, indent=1, allow_nan=True).encode("utf-8")
    checkpoint.atomic_write(os.path.join(out, METRICS_FILE), lambda f: f.write(text))


def _write_curves(out, metrics):
    """Loss and accuracy against epoch as a PNG (Agg canvas; no global pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
    history = metrics["history"]
    figure = Figure(figsize=(9, 3.5))
    FigureCanvasAgg(figure)
    panels = [("loss", figure.add_subplot(1, 2, 1)), ("accuracy", figure.add_subplot(1, 2, 2))]
    for quantity, axes in panels:
        for phase in ("train", "val"):
            values = history[f"{phase}_{quantity}"]
            if values and all(v is not None for v in values):
                axes.plot(history["epoch"], values, marker="o", label=phase)
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel(quantity)
        if axes.lines:
            axes.legend()
    figure.suptitle(f"{metrics['config']['model']} on {metrics['config']['data']} "
                    f"({metrics['config']['optim']})")
    figure.tight_layout()
    checkpoint.atomic_write(os.path.join(out, CURVES_FILE),
                            lambda f: figure.savefig(f, format="png", dpi=100))


class Trainer:
    """One training run: the model, optimizer, loaders and metrics, epoch by epoch."""

    def __init__(self, config, out, root, log):
        import models
        import optim
        self.config, self.out, self.log = config, out, log
        (train_x, train_y), val_set, test_set = _datasets(config, root, log)
        transform = _transform(config["data"], config["model"], backend.get_default_dtype())
        self.reconstruction = config["model"].startswith("autoencoder")
        nn.init.manual_seed(config["seed"])
        self.model = models.create(config["model"], **_model_arguments(
            config["model"], train_x.shape[1:], config["hidden"]))
        hyper = {k: config[k] for k in ("momentum", "weight_decay") if config[k] is not None}
        self.optimizer = optim.create(config["optim"], self.model.parameters(), lr=config["lr"],
                                      **hyper, **config["optim_args"])
        self.loss_fn = _loss_function(config["model"])
        self.loader = DataLoader(train_x, train_y, config["batch_size"], shuffle=True,
                                 seed=config["seed"], transform=transform)
        self.evaluation = {name: DataLoader(x, y, config["batch_size"], transform=transform)
                           for name, (x, y) in (("val", val_set), ("test", test_set)) if len(x)}
        self.metrics = {"config": config,
                        "num_parameters": sum(p.size for p in self.model.parameters()),
                        "history": {k: [] for k in HISTORY_KEYS}, "batch_loss": [],
                        "elapsed_seconds": 0.0}
        self.epoch = 0

    @property
    def checkpoint_path(self):
        return os.path.join(self.out, CHECKPOINT_FILE)

    def save(self):
        """Write the checkpoint and ``metrics.json`` (and after an epoch ``curves.png``)."""
        state = {"epoch": self.epoch, "model": self.model.state_dict(),
                 "optimizer": self.optimizer.state_dict(), "loader": self.loader.state_dict(),
                 "init_generator": nn.init.generator().bit_generator.state,
                 "numpy_global": numpy.random.get_state(), "metrics": self.metrics}
        checkpoint.save(state, self.checkpoint_path)
        _write_metrics(self.out, self.metrics)
        if self.epoch:
            _write_curves(self.out, self.metrics)

    def restore(self):
        """Continue from the checkpoint in ``out``, which must come from the same settings."""
        if not os.path.exists(self.checkpoint_path):
            raise FileNotFoundError(f"resume: no checkpoint at {self.checkpoint_path}")
        state = checkpoint.load(self.checkpoint_path)
        saved = state["metrics"]["config"]
        differences = {k: (saved[k], self.config[k]) for k in RESUME_KEYS
                       if saved[k] != self.config[k]}
        if differences:
            raise ValueError(f"resume: the checkpoint {self.checkpoint_path} was made with "
                             f"different settings (saved, requested): {differences}")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.loader.load_state_dict(state["loader"])
        nn.init.generator().bit_generator.state = state["init_generator"]
        numpy.random.set_state(state["numpy_global"])
        self.epoch, self.metrics = state["epoch"], state["metrics"]
        self.metrics["config"]["epochs"] = self.config["epochs"]
        self.log(f"resumed from {self.checkpoint_path} after epoch {self.epoch}")

    def _check_finite(self, value, where):
        """Raise ``NonFiniteLossError`` naming ``where`` unless the loss ``value`` and every
        parameter are finite."""
        if math.isfinite(value) and _parameters_finite(self.model):
            return
        what = f"loss ({value})" if not math.isfinite(value) else "parameters"
        kept = f"; the last good checkpoint is {self.checkpoint_path}" if self.out else ""
        raise NonFiniteLossError(f"non-finite {what} {where}: lower the learning rate "
                                 f"(lr={self.config['lr']}){kept}")

    def train_epoch(self, start, log_every):
        """One pass over the training set; returns ``(mean loss, accuracy, seconds)``."""
        self.model.train()
        epoch_start, total_loss, correct, seen = time.perf_counter(), 0.0, 0, 0
        for batch, (x, y) in enumerate(self.loader, 1):
            target = x if self.reconstruction else y
            value, output = _step(self.optimizer, self.model, self.loss_fn, x, target)
            self._check_finite(value, f"at epoch {self.epoch + 1}, batch {batch}/"
                                      f"{len(self.loader)}")
            self.metrics["batch_loss"].append(value)
            total_loss, seen = total_loss + value * len(x), seen + len(x)
            correct += 0 if self.reconstruction else _correct(output, y)
            if log_every and batch % log_every == 0:
                rate = seen / (time.perf_counter() - epoch_start)
                accuracy = "" if self.reconstruction else f" acc {correct / seen:.4f}"
                self.log(f"epoch {self.epoch + 1} batch {batch}/{len(self.loader)} loss "
                         f"{value:.4f}{accuracy} {rate:.0f} samples/s "
                         f"{time.perf_counter() - start:.1f}s")
        accuracy = None if self.reconstruction else correct / seen
        return total_loss / seen, accuracy, time.perf_counter() - epoch_start

    def evaluate(self, name):
        """Mean loss and accuracy on the ``"val"`` or ``"test"`` set; ``(None, None)`` if empty."""
        if name not in self.evaluation:
            return None, None
        return _evaluate(self.model, self.evaluation[name], self.loss_fn, self.reconstruction)

    def run(self, log_every):
        """Train up to ``config["epochs"]``, validating and saving after each; then test."""
        config, history = self.config, self.metrics["history"]
        self.log(f"model: {config['model']} ({self.metrics['num_parameters']} parameters), "
                 f"optimizer: {config['optim']} (lr={config['lr']}), {config['dtype']} on "
                 f"{config['device']}")
        start = time.perf_counter() - self.metrics["elapsed_seconds"]
        while self.epoch < config["epochs"]:
            train_loss, train_accuracy, seconds = self.train_epoch(start, log_every)
            val_loss, val_accuracy = self.evaluate("val")
            if val_loss is not None:
                self._check_finite(val_loss, f"on the validation set after epoch {self.epoch + 1}")
            if val_loss is not None and hasattr(self.optimizer, "observe_validation_loss"):
                self.optimizer.observe_validation_loss(val_loss)
            self.epoch += 1
            for key, value in zip(HISTORY_KEYS, (
                    self.epoch, train_loss, train_accuracy, val_loss, val_accuracy, seconds,
                    len(self.loader.images) / seconds)):
                history[key].append(value)
            self.metrics["elapsed_seconds"] = time.perf_counter() - start
            self.log(_epoch_line(self.metrics, self.reconstruction))
            if self.out is not None:
                self.save()
        test_loss, test_accuracy = self.evaluate("test")
        if test_loss is not None:
            self.metrics["test_loss"], self.metrics["test_accuracy"] = test_loss, test_accuracy
            accuracy = "" if self.reconstruction else f" accuracy {test_accuracy:.4f}"
            self.log(f"test: loss {test_loss:.4f}{accuracy}")
        self.metrics["elapsed_seconds"] = time.perf_counter() - start
        if self.out is not None:
            _write_metrics(self.out, self.metrics)
            self.log(f"wrote {self.out}/{METRICS_FILE}, {CURVES_FILE} and {CHECKPOINT_FILE}")
        return self.metrics


def _datasets(config, root, log):
    """Train, validation and test ``(images, labels)`` as configured (sizes filled in)."""
    train_images, train_labels = load(config["data"], "train", root=root)
    test_images, test_labels = load(config["data"], "test", root=root)
    n = len(train_images)
    val_size = config["val_size"] if config["val_size"] is not None else n // 10
    train_size = config["train_size"] if config["train_size"] is not None else n - val_size
    test_size = config["test_size"] if config["test_size"] is not None else len(test_images)
    train_set, val_set = split(train_images, train_labels, [train_size, val_size], config["seed"])
    test_set, = split(test_images, test_labels, [test_size], config["seed"])
    log(f"data: {config['data']}: {train_size} train, {val_size} validation, {test_size} test "
        f"images of shape {train_images.shape[1:]}")
    return train_set, val_set, test_set


def train(model="mlp", data="auto", optim="sgd", epochs=2, batch_size=128, lr=0.1,
          momentum=None, weight_decay=None, optim_args=None, hidden=(128,), train_size=None,
          val_size=None, test_size=None, seed=0, out=None, resume=False, dtype="float32",
          device="cpu", log_every=100, root=None, log=_print):
    """Train ``model`` on ``data`` with ``optim``; returns the metrics dict.

    Arguments mirror the command-line options. ``optim_args`` are further
    keyword arguments of ``optim.create``; ``momentum`` and ``weight_decay`` are
    passed only when given. ``out=None`` writes no files (``resume`` needs ``out``).
    ``log`` receives the progress lines (printed by default).
    """
    if resume and out is None:
        raise ValueError("train: resume=True needs out, the folder holding the checkpoint")
    data = _resolve_data(data, root, log)
    if data not in STATISTICS:
        raise ValueError(f"train: unknown data set {data!r}; choose one of "
                         f"{sorted(STATISTICS)} or 'auto'")
    config = dict(model=model, data=data, optim=optim, epochs=epochs, batch_size=batch_size,
                  lr=lr, momentum=momentum, weight_decay=weight_decay,
                  optim_args=dict(optim_args or {}), hidden=list(hidden), train_size=train_size,
                  val_size=val_size, test_size=test_size, seed=seed,
                  dtype=str(numpy.dtype(dtype)), device=device)
    previous_dtype, previous_backend = backend.get_default_dtype(), backend.backend_name()
    backend.set_default_dtype(dtype)
    backend.use("cupy" if device == "cuda" else "numpy")
    try:
        trainer = Trainer(config, None if out is None else os.fspath(out), root, log)
        if resume:
            trainer.restore()
        elif out is not None:
            trainer.save()
        return trainer.run(log_every)
    finally:
        backend.set_default_dtype(previous_dtype)
        backend.use(previous_backend)


def _epoch_line(metrics, reconstruction):
    h = metrics["history"]
    line = f"epoch {h['epoch'][-1]}: train loss {h['train_loss'][-1]:.4f}"
    if not reconstruction:
        line += f" acc {h['train_accuracy'][-1]:.4f}"
    if h["val_loss"][-1] is not None:
        line += f" | val loss {h['val_loss'][-1]:.4f}"
        if not reconstruction:
            line += f" acc {h['val_accuracy'][-1]:.4f}"
    return (line + f" | {h['samples_per_second'][-1]:.0f} samples/s | "
            f"{metrics['elapsed_seconds']:.1f}s")


def _key_value(text):
    """``KEY=VALUE`` with VALUE a Python literal (number, bool, tuple) or else a string."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def _sizes(text):
    return tuple(int(s) for s in text.split(",") if s)


def parser():
    """The command-line parser of ``python -m minigrad.train``."""
    p = argparse.ArgumentParser(prog="python -m minigrad.train", description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", default="mlp", help="a name of models.create")
    p.add_argument("--data", default="auto",
                   help="mnist, fashion-mnist, cifar10, synthetic, or auto (MNIST if found "
                        "locally, else synthetic)")
    p.add_argument("--root", default=None, help="folder searched first for the data files")
    p.add_argument("--optim", default="sgd", help="a name of optim.create")
    p.add_argument("--epochs", type=int, default=2, help="passes over the training set")
    p.add_argument("--batch-size", type=int, default=128, help="samples per step")
    p.add_argument("--lr", type=float, default=0.1, help="learning rate")
    p.add_argument("--momentum", type=float, default=None, help="passed only when given")
    p.add_argument("--weight-decay", type=float, default=None, help="passed only when given")
    p.add_argument("--optim-arg", type=_key_value, action="append", default=[],
                   metavar="KEY=VALUE", help="further optimizer hyper-parameter (repeatable)")
    p.add_argument("--hidden", type=_sizes, default=(128,), help="MLP hidden sizes, e.g. 256,128")
    p.add_argument("--train-size", type=int, default=None,
                   help="training samples; None: all but the validation ones")
    p.add_argument("--val-size", type=int, default=None,
                   help="validation samples; None: 10%% of the train split")
    p.add_argument("--test-size", type=int, default=None,
                   help="test samples; None: the whole test split")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the splits, initialisation, shuffling and dropout")
    p.add_argument("--out", default=None, help="output folder; None: runs/MODEL-DATA")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                   help="dtype of parameters and inputs")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="cpu (NumPy) or cuda (CuPy)")
    p.add_argument("--log-every", type=int, default=100, help="batches between progress lines")
    return p


def main(argv=None):
    """Run ``python -m minigrad.train`` with ``argv``; returns the exit status."""
    args = parser().parse_args(argv)
    data = _resolve_data(args.data, args.root, _print)
    out = args.out or os.path.join("runs", f"{args.model}-{data}")
    try:
        metrics = train(model=args.model, data=data, optim=args.optim, epochs=args.epochs,
                        batch_size=args.batch_size, lr=args.lr, momentum=args.momentum,
                        weight_decay=args.weight_decay, optim_args=dict(args.optim_arg),
                        hidden=args.hidden, train_size=args.train_size, val_size=args.val_size,
                        test_size=args.test_size, seed=args.seed, out=out, resume=args.resume,
                        dtype=args.dtype, device=args.device, log_every=args.log_every,
                        root=args.root)
    except (NonFiniteLossError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    _print(f"done in {metrics['elapsed_seconds']:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
