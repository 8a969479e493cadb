"""``resnet9``: the CIFAR-10 ResNet9 (Page, "How to train your ResNet", 2018; Myrtle.ai).

Built from ``conv_bn(c_in, c_out)`` = 3×3 ``Conv2d`` (padding 1, no bias) →
``BatchNorm2d`` → ``ReLU``:

    prep     conv_bn(C, 64)                                           32×32
    layer1   conv_bn(64, 128) → MaxPool2d(2)                          16×16
             Residual(conv_bn(128, 128) → conv_bn(128, 128))
    layer2   conv_bn(128, 256) → MaxPool2d(2)                          8×8
    layer3   conv_bn(256, 512) → MaxPool2d(2)                          4×4
             Residual(conv_bn(512, 512) → conv_bn(512, 512))
    head     AdaptiveMaxPool2d(1) → Flatten → Linear(512, classes)

6,573,130 parameters for ``in_channels=3, num_classes=10`` (the "6.5M" ResNet9 of
Tuddenham, Prügel-Bennett & Hare, "Quasi-Newton's method in the class
gradient defined high-curvature subspace", 2020). The global max-pool takes any input whose
side after three halvings is at least 1 (28×28 MNIST gives 3×3). Some versions
multiply the logits by 0.125; this one returns the linear layer's output.
"""
from minigrad import nn


def conv_bn(in_channels, out_channels):
    """3×3 same-padding convolution without bias, batch norm, ReLU."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())


def _residual(channels):
    return nn.Residual(nn.Sequential(conv_bn(channels, channels), conv_bn(channels, channels)))


def resnet9(num_classes=10, in_channels=3):
    """ResNet9 as a ``Sequential`` of ``prep, layer1, layer2, layer3, head`` stages."""
    return nn.Sequential(
        conv_bn(in_channels, 64),
        nn.Sequential(conv_bn(64, 128), nn.MaxPool2d(2), _residual(128)),
        nn.Sequential(conv_bn(128, 256), nn.MaxPool2d(2)),
        nn.Sequential(conv_bn(256, 512), nn.MaxPool2d(2), _residual(512)),
        nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(512, num_classes)),
    )
