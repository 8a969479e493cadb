"""``lenet5``: LeNet-5 (LeCun et al. 1998) with ReLU activations and max pooling.

LeNet-5 reads 32×32 images; a 28×28 MNIST digit is zero-padded by 2 in the first
convolution to reach that size, so both give 5×5 maps before the dense layers:

    Conv2d(C, 6, 5, padding=p) → ReLU → MaxPool2d(2)    32×32 (padded) → 28×28 → 14×14
    Conv2d(6, 16, 5)           → ReLU → MaxPool2d(2)    14×14 → 10×10 → 5×5
    Flatten → Linear(400, 120) → ReLU → Linear(120, 84) → ReLU → Linear(84, classes)

with ``p = (32 − input_size)/2`` (2 for MNIST, 0 for CIFAR). The original used
scaled tanh units and trainable sub-sampling; ReLU and max pooling are the common
modern choice. 61,706 parameters for ``in_channels=1, num_classes=10``.
"""
from minigrad import nn


def lenet5(num_classes=10, in_channels=1, input_size=28):
    """LeNet-5 for square images of side ``input_size`` (28 or any even size up to 32)."""
    if not (isinstance(input_size, int) and 6 <= input_size <= 32 and input_size % 2 == 0):
        raise ValueError(f"lenet5: input_size must be an even int in [6, 32] (padded to 32), "
                         f"got {input_size!r}")
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=(32 - input_size) // 2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, num_classes),
    )
