"""``vit``: a small Vision Transformer (Dosovitskiy et al., "An Image is Worth 16x16 Words:
Transformers for Image Recognition at Scale", 2021) for 28×28 images.

    PatchTokens(7)                 (N, C, 28, 28) → (N, 16, 49·C)   16 patches of 7×7, row-major
    Linear(49·C, width)            patch embedding (a Linear shared over the 16 tokens)
    ClassTokenAndPositions         prepend a learned class token, add learned position
                                   embeddings: (N, 17, width)
    TransformerEncoder             depth × TransformerEncoderLayer(width, heads, mlp_width,
                                   activation="gelu", batch_first=True, norm_first=True)
    LayerNorm(width)               final pre-norm
    Token(0)                       the class token's features (N, width)
    Linear(width, num_classes)     logits

With the defaults (C = 1, width 64, 4 heads, depth 2, mlp_width 128) it has 72,074 parameters.
It is an ``nn.Sequential``, so every ``Linear`` (patch embedding, attention output projection,
MLP, head) is a layer of the chain that curvature code walks.
"""
from minigrad import nn
from minigrad.backend import array_module, get_default_dtype
from minigrad.ops import broadcast_to, cat, getitem, permute, reshape
from minigrad.random import generator


class PatchTokens(nn.Module):
    """Cut images (N, C, H, W) into non-overlapping ``patch_size``² patches, one token each:
    (N, (H/p)(W/p), C·p·p), tokens in row-major patch order, features ordered (C, p, p)."""

    def __init__(self, patch_size):
        super().__init__()
        self.patch_size = patch_size

    def forward(self, x):
        p = self.patch_size
        if x.ndim != 4 or x.shape[2] % p or x.shape[3] % p:
            raise ValueError(f"{self!r}: expects images (N, C, H, W) with H and W multiples of "
                             f"{p}, got {x.shape}")
        n, c, h, w = x.shape
        patches = permute(reshape(x, (n, c, h // p, p, w // p, p)), 0, 2, 4, 1, 3, 5)
        return reshape(patches, (n, (h // p) * (w // p), c * p * p))

    def extra_repr(self):
        return f"patch_size={self.patch_size}"


class ClassTokenAndPositions(nn.Module):
    """Prepend a learned class token to (N, T, width) and add learned position embeddings:
    (N, T + 1, width). Both start as N(0, 0.02²) draws."""

    def __init__(self, num_tokens, width):
        super().__init__()
        self.num_tokens, self.width = num_tokens, width
        xp, dtype = array_module(), get_default_dtype()
        draw = generator().normal
        self.class_token = nn.Parameter(xp.asarray(draw(0, 0.02, (1, 1, width)).astype(dtype)))
        self.position_embedding = nn.Parameter(
            xp.asarray(draw(0, 0.02, (1, num_tokens + 1, width)).astype(dtype)))

    def forward(self, x):
        if x.ndim != 3 or x.shape[1:] != (self.num_tokens, self.width):
            raise ValueError(f"{self!r}: expects tokens (N, {self.num_tokens}, {self.width}), got "
                             f"{x.shape}")
        token = broadcast_to(self.class_token, (x.shape[0], 1, self.width))
        return cat([token, x], dim=1) + self.position_embedding

    def extra_repr(self):
        return f"num_tokens={self.num_tokens}, width={self.width}"


class Token(nn.Module):
    """The features of one token: (N, T, width) → (N, width)."""

    def __init__(self, index=0):
        super().__init__()
        self.index = index

    def forward(self, x):
        return getitem(x, (slice(None), self.index))

    def extra_repr(self):
        return f"index={self.index}"


def vit(num_classes=10, in_channels=1, image_size=28, patch_size=7, width=64, heads=4, depth=2,
        mlp_width=128, dropout=0.0):
    """The Vision Transformer of the module docstring: images (N, C, H, W) in, logits out."""
    if image_size % patch_size or depth < 1:
        raise ValueError(f"vit: image_size {image_size} must be a multiple of patch_size "
                         f"{patch_size} and depth positive, got depth {depth}")
    tokens = (image_size // patch_size) ** 2
    layer = nn.TransformerEncoderLayer(width, heads, mlp_width, dropout=dropout,
                                       activation="gelu", batch_first=True, norm_first=True)
    return nn.Sequential(
        PatchTokens(patch_size), nn.Linear(in_channels * patch_size ** 2, width),
        ClassTokenAndPositions(tokens, width), nn.TransformerEncoder(layer, depth),
        nn.LayerNorm(width), Token(0), nn.Linear(width, num_classes))
