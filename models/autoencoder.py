"""Deep autoencoders of Hinton & Salakhutdinov (2006), the KFRA/KFLR benchmarks
(Botev, Ritter & Barber, "Practical Gauss-Newton optimisation for deep
learning", 2017; also
Martens 2010 and Martens & Grosse 2015).

    "mnist"   784-1000-500-250-30-250-500-1000-784      28×28 digits
    "curves"  784-400-200-100-50-25-6-25-50-100-200-400-784   28×28 synthetic curves
    "faces"   625-2000-1000-500-30-500-1000-2000-625    25×25 face patches

Every hidden layer is ``Linear`` followed by a logistic ``Sigmoid``; the code
layer (30, 6, 30 units) and the output layer are linear. The outputs are
therefore **logits** ``h_L`` (pre-activations), one per input pixel, and the
reconstruction loss acts on them:

* mnist, curves: Bernoulli log-likelihood, i.e. sigmoid + binary cross-entropy
  on the logits against the pixel intensities in [0, 1]
  (``nn.BCEWithLogitsLoss()``; loss Hessian ``diag(σ(h)(1 − σ(h)))``);
* faces: Gaussian log-likelihood, i.e. squared error on the linear outputs
  (``nn.MSELoss()``, which averages over the 625 outputs as well as the batch).

``autoencoder(name, init="sparse")`` replaces PyTorch's default initialisation
of every ``Linear`` by the sparse initialisation these benchmarks use (Martens
2010; Botev et al. 2017): 15 incoming weights per unit from N(0, 1), the rest
and the biases zero (``nn.init.sparse_incoming_``; all of them where a layer has
fewer than 15 inputs, as after the 6-unit code of "curves"). With the default
initialisation the 8-layer sigmoid net starts on the mean-image plateau.

``reconstruction_loss(name)`` returns that loss module. The network is one flat
``Sequential`` (a plain feed-forward chain for the layerwise recursion).
"""
from minigrad import nn

LAYER_SIZES = {
    "mnist": [784, 1000, 500, 250, 30],
    "curves": [784, 400, 200, 100, 50, 25, 6],
    "faces": [625, 2000, 1000, 500, 30],
}
RECONSTRUCTION_LOSSES = {"mnist": nn.BCEWithLogitsLoss, "curves": nn.BCEWithLogitsLoss,
                         "faces": nn.MSELoss}


def _check_name(name):
    if name not in LAYER_SIZES:
        raise ValueError(f"autoencoder: unknown name {name!r}; choose one of {sorted(LAYER_SIZES)}")


INITIALISATIONS = ("default", "sparse")
SPARSE_INCOMING = 15


def autoencoder(name, init="default"):
    """The ``name`` autoencoder (``"mnist"``, ``"curves"`` or ``"faces"``) as a ``Sequential``.

    Input ``(N, d)`` flattened images (d = 784 or 625), output ``(N, d)`` logits.
    ``init``: ``"default"`` (PyTorch's) or ``"sparse"`` (``nn.init.sparse_incoming_``).
    """
    _check_name(name)
    if init not in INITIALISATIONS:
        raise ValueError(f"autoencoder: unknown init {init!r}; choose one of {INITIALISATIONS}")
    encoder = LAYER_SIZES[name]
    sizes = encoder + encoder[-2::-1]
    code_layer = len(encoder) - 2
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if init == "sparse":
            nn.init.sparse_incoming_(layers[-1], incoming=min(SPARSE_INCOMING, fan_in))
        if i != code_layer and i != len(sizes) - 2:
            layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def reconstruction_loss(name, reduction="mean"):
    """The loss module the ``name`` autoencoder is trained with (applied to its logits);
    ``reduction="batchmean"`` sums over a sample's outputs and averages over the batch
    (nats per image for the Bernoulli losses, the scale of the papers' numbers)."""
    _check_name(name)
    return RECONSTRUCTION_LOSSES[name](reduction=reduction)
