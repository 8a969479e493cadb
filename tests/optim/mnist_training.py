"""Shared setting of the slow MNIST tests: a 784-64-10 MLP on 2,000 training images.

``train_mlp(name, **settings)`` runs ``minigrad.train.train`` with 2,000
training images, 500 validation images (for ``Hybrid``'s switch), seed 0,
float32 on the CPU and no logging; ``settings`` overrides ``epochs``,
``batch_size``, ``test_size``, ``lr``, ``optim_args`` and ``threads``. The seed fixes the
initialisation, the data subsets (``split`` seeded by it) and the shuffling; ``threads=1``
also fixes the order of the float32 sums, which with several BLAS threads depends on how
the BLAS splits the work, so such a run repeats exactly.
``mnist_available()``
tells whether the MNIST files are on disk (the tests skip otherwise).
"""
from minigrad.data import load


def mnist_available():
    try:
        load("mnist", "test", download=False)
    except (FileNotFoundError, OSError):
        return False
    return True


def train_mlp(name, epochs=20, batch_size=100, test_size=1000, threads=None, **settings):
    """The metrics of ``minigrad.train.train`` for optimizer ``name`` in the shared setting."""
    from minigrad.train import train
    return train(model="mlp", data="mnist", optim=name, hidden=(64,), epochs=epochs,
                 batch_size=batch_size, train_size=2000, val_size=500, test_size=test_size,
                 seed=0, threads=threads, log_every=0, log=lambda line: None, **settings)
