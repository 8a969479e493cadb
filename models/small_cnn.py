"""``small_cnn``: a convolutional network of about 400 parameters for MNIST.

Tuddenham, Prügel-Bennett & Hare ("Quasi-Newton's method in the class gradient
defined high-curvature subspace", 2020) train "a
small CNN (400 parameters) on MNIST" so that full-batch training and the
class-gradient subspace are cheap to study; the paper gives only the size, so the
layers are chosen here:

    Conv2d(1, 4, 3)  → ReLU → MaxPool2d(2)     28×28 → 26×26 → 13×13      40 parameters
    Conv2d(4, 8, 3)  → ReLU → MaxPool2d(2)     13×13 → 11×11 → 5×5       296 parameters
    AdaptiveAvgPool2d(1) → Flatten             8 features
    Linear(8, 10)                              10 logits                   90 parameters

426 parameters in all for ``in_channels=1, num_classes=10``. The global average
pool makes the network accept any input of at least 10×10 pixels (e.g. CIFAR's
3×32×32 with ``in_channels=3``).
"""
from minigrad import nn


def small_cnn(num_classes=10, in_channels=1):
    """The ~400-parameter CNN (426 parameters with the defaults): images in, logits out."""
    return nn.Sequential(
        nn.Conv2d(in_channels, 4, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(8, num_classes),
    )
