"""``resnet18``: ResNet-18 (He et al. 2016) with the ImageNet stem, as torchvision lays it out.

    stem     Conv2d(C, 64, 7, stride 2, padding 3, no bias) → BatchNorm2d → ReLU
             → MaxPool2d(3, stride 2, padding 1)
    layer1   basic_block(64, 64),   basic_block(64, 64)
    layer2   basic_block(64, 128, stride 2),  basic_block(128, 128)
    layer3   basic_block(128, 256, stride 2), basic_block(256, 256)
    layer4   basic_block(256, 512, stride 2), basic_block(512, 512)
    head     AdaptiveAvgPool2d(1) → Flatten → Linear(512, classes)

A basic block is ``ReLU(branch(x) + shortcut(x))`` with
``branch = conv3×3(stride) → BN → ReLU → conv3×3 → BN`` (convolutions without
bias) and ``shortcut`` the identity, or ``Conv2d 1×1 (stride, no bias) → BN``
where the shape changes. Parameters are listed in torchvision's order (conv1,
bn1, conv2, bn2, downsample). 11,175,370 parameters for ``in_channels=1,
num_classes=10`` (the MNIST ResNet-18 of Attias, Cadei & Novaković 2022);
11,181,642 for ``in_channels=3``. A 28×28 input reaches layer4 as 1×1.

``init``: ``"pytorch"`` (the default) keeps every layer's PyTorch default
(``Conv2d``: ``kaiming_uniform_(a=√5)``); ``"torchvision"`` draws every
convolution as ``torchvision.models.resnet18`` does,
``kaiming_normal_(mode="fan_out", nonlinearity="relu")``, after the layers are
built (batch norm at weight 1 and bias 0 either way; the last ``Linear`` keeps
PyTorch's default, as in torchvision).
"""
from minigrad import nn

INITIALISATIONS = ("pytorch", "torchvision")


def basic_block(in_channels, out_channels, stride=1):
    """``Sequential(Residual(branch, shortcut), ReLU())``: the ResNet-18/34 block."""
    branch = nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
    )
    shortcut = None
    if stride != 1 or in_channels != out_channels:
        shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                 nn.BatchNorm2d(out_channels))
    return nn.Sequential(nn.Residual(branch, shortcut), nn.ReLU())


def resnet18(num_classes=10, in_channels=3, init="pytorch"):
    """ResNet-18 as a ``Sequential`` of ``stem, layer1..layer4, head`` stages; ``init`` is
    ``"pytorch"`` or ``"torchvision"`` (see the module docstring)."""
    if init not in INITIALISATIONS:
        raise ValueError(f"resnet18: unknown init {init!r}; choose one of {INITIALISATIONS}")
    stages = [nn.Sequential(nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False),
                            nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1))]
    channels = 64
    for width, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        stages.append(nn.Sequential(basic_block(channels, width, stride),
                                    basic_block(width, width)))
        channels = width
    stages.append(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                nn.Linear(512, num_classes)))
    model = nn.Sequential(*stages)
    if init == "torchvision":
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    return model
