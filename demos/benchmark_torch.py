"""The PyTorch side of ``demos/benchmark.py``: the same networks, weights and work, in PyTorch.

``mirror(module)`` translates a minigrad network (``Sequential``, ``Residual``,
``Linear``, ``Conv2d``, ``BatchNorm2d``, ``ReLU``, ``Sigmoid``, ``MaxPool2d``,
``AdaptiveAvgPool2d``, ``AdaptiveMaxPool2d``, ``Flatten``, ``Identity``, and the Vision
Transformer's ``LayerNorm``, ``TransformerEncoder`` and token modules) into ``torch.nn`` modules
holding copies of its weights, so both frameworks start from the same parameters. The work that
differentiates twice (adahessian, hvp, newton-cg) runs PyTorch's attention through its "math"
kernel, the one it can differentiate twice; the SGD step keeps its default kernel.
``workloads(model, loss_fn, x, y)`` returns the four timed steps of the
benchmark written with ``torch.autograd`` as a PyTorch user would:

    sgd          zero_grad, forward, backward, ``torch.optim.SGD`` step
    adahessian   forward, gradient with ``create_graph``, one Rademacher probe z,
                 ``H z`` by double backward, the AdaHessian update (Yao et al. 2021)
    hvp          forward, gradient with ``create_graph``, ``H v`` by double backward
    newton-cg    forward, gradient, 10 conjugate-gradient iterations on
                 ``(G + λI) d = −g`` with Gauss-Newton products ``Jᵀ H_z J v``
                 (``J v`` by the double-VJP trick, the graphs built once), one
                 loss-only forward at the trial point

PyTorch is optional: this module is imported only when it is installed.
"""
import torch
import torch.nn as tnn
from torch.nn.attention import SDPBackend, sdpa_kernel

from models.vit import ClassTokenAndPositions, PatchTokens, Token
from minigrad import nn

NEWTON_CG_ITERATIONS = 10


class _Residual(tnn.Module):
    def __init__(self, branch, shortcut):
        super().__init__()
        self.branch, self.shortcut = branch, shortcut

    def forward(self, x):
        return self.branch(x) + self.shortcut(x)


class _PatchTokens(tnn.Module):
    def __init__(self, patch_size):
        super().__init__()
        self.patch_size = patch_size

    def forward(self, x):
        n, c, h, w = x.shape
        p = self.patch_size
        patches = x.reshape(n, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
        return patches.reshape(n, (h // p) * (w // p), c * p * p)


class _ClassTokenAndPositions(tnn.Module):
    def __init__(self, source, device):
        super().__init__()
        self.class_token = tnn.Parameter(_tensor(source.class_token, device))
        self.position_embedding = tnn.Parameter(_tensor(source.position_embedding, device))

    def forward(self, x):
        token = self.class_token.expand(x.shape[0], -1, -1)
        return torch.cat([token, x], dim=1) + self.position_embedding


class _Token(tnn.Module):
    def __init__(self, index):
        super().__init__()
        self.index = index

    def forward(self, x):
        return x[:, self.index]


def _encoder(module, device):
    """PyTorch's ``TransformerEncoder`` of the same sizes, loaded from the minigrad one's
    ``state_dict`` (the parameter names and layouts are PyTorch's)."""
    layer = module.layers[0]
    attention = layer.self_attn
    activation = "gelu" if isinstance(layer.activation, nn.GELU) else "relu"
    twin_layer = tnn.TransformerEncoderLayer(
        attention.embed_dim, attention.num_heads, layer.linear1.out_features,
        dropout=layer.dropout.p, activation=activation, layer_norm_eps=layer.norm1.eps,
        batch_first=attention.batch_first, norm_first=layer.norm_first)
    twin = tnn.TransformerEncoder(twin_layer, len(module.layers), enable_nested_tensor=False)
    twin = twin.to(dtype=_tensor(attention.in_proj_weight, "cpu").dtype, device=device)
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in module.state_dict().items()})
    return twin


def _tensor(parameter, device):
    return torch.from_numpy(parameter.numpy().copy()).to(device)


def _copy_parameters(source, target, device):
    with torch.no_grad():
        for name in ("weight", "bias"):
            if getattr(source, name, None) is not None:
                getattr(target, name).copy_(_tensor(getattr(source, name), device))


def mirror(module, device="cpu"):
    """A ``torch.nn`` twin of the minigrad ``module`` with copies of its weights on ``device``."""
    if isinstance(module, nn.Sequential):
        return tnn.Sequential(*[mirror(m, device) for m in module])
    if isinstance(module, nn.Residual):
        return _Residual(mirror(module.branch, device), mirror(module.shortcut, device))
    if isinstance(module, nn.TransformerEncoder):
        return _encoder(module, device)
    if isinstance(module, PatchTokens):
        return _PatchTokens(module.patch_size)
    if isinstance(module, ClassTokenAndPositions):
        return _ClassTokenAndPositions(module, device)
    if isinstance(module, Token):
        return _Token(module.index)
    if isinstance(module, nn.Linear):
        twin = tnn.Linear(module.in_features, module.out_features, bias=module.bias is not None)
    elif isinstance(module, nn.Conv2d):
        twin = tnn.Conv2d(module.in_channels, module.out_channels, module.kernel_size,
                          module.stride, module.padding, module.dilation,
                          bias=module.bias is not None)
    elif isinstance(module, nn.BatchNorm2d):
        twin = tnn.BatchNorm2d(module.num_features, module.eps, module.momentum,
                               affine=module.affine)
    elif isinstance(module, nn.LayerNorm):
        twin = tnn.LayerNorm(module.normalized_shape, module.eps,
                             elementwise_affine=module.elementwise_affine)
    elif isinstance(module, nn.MaxPool2d):
        return tnn.MaxPool2d(module.kernel_size, module.stride, module.padding)
    else:
        simple = {nn.ReLU: tnn.ReLU, nn.Sigmoid: tnn.Sigmoid, nn.Flatten: tnn.Flatten,
                  nn.Identity: tnn.Identity}
        if isinstance(module, nn.AdaptiveAvgPool2d):
            return tnn.AdaptiveAvgPool2d(module.output_size)
        if isinstance(module, nn.AdaptiveMaxPool2d):
            return tnn.AdaptiveMaxPool2d(module.output_size)
        if type(module) not in simple:
            raise TypeError(f"benchmark_torch.mirror: no PyTorch twin for {type(module).__name__}")
        return simple[type(module)]()
    if module.weight is not None:
        twin = twin.to(dtype=_tensor(module.weight, "cpu").dtype)
    twin = twin.to(device)
    _copy_parameters(module, twin, device)
    return twin


def mirror_loss(loss_fn):
    """The ``torch.nn`` loss of the same name and reduction."""
    names = {nn.CrossEntropyLoss: tnn.CrossEntropyLoss, nn.BCEWithLogitsLoss: tnn.BCEWithLogitsLoss,
             nn.MSELoss: tnn.MSELoss}
    if type(loss_fn) not in names:
        raise TypeError(f"benchmark_torch.mirror_loss: no PyTorch twin for {type(loss_fn).__name__}")
    return names[type(loss_fn)]()


def _rademacher(params, generator):
    return [torch.randint(0, 2, p.shape, generator=generator, device="cpu").to(p) * 2 - 1
            for p in params]


def _adahessian_update(params, grads, probes, products, state, lr=0.01, betas=(0.9, 0.999),
                       eps=1e-4):
    """The AdaHessian step of ``optim.AdaHessian`` (spatially averaged |z ⊙ Hz| for kernels)."""
    state["step"] = state.get("step", 0) + 1
    step = state["step"]
    with torch.no_grad():
        for p, g, z, hz in zip(params, grads, probes, products):
            diagonal = (z * hz).abs()
            if diagonal.ndim >= 3:
                diagonal = diagonal.mean(dim=tuple(range(2, diagonal.ndim)), keepdim=True)
            m, v = state.setdefault(id(p), (torch.zeros_like(p), torch.zeros_like(diagonal)))
            m.mul_(betas[0]).add_(g, alpha=1 - betas[0])
            v.mul_(betas[1]).addcmul_(diagonal, diagonal, value=1 - betas[1])
            denominator = (v / (1 - betas[1] ** step)).sqrt() + eps
            p.sub_(lr * (m / (1 - betas[0] ** step)) / denominator)


def _gauss_newton_operator(model, loss_fn, x, y, params):
    """``(loss, gradient, v ↦ Jᵀ H_z J v)`` from one forward pass (graphs kept for reuse)."""
    output = model(x)
    cotangent = torch.zeros_like(output, requires_grad=True)
    transposed = torch.autograd.grad(output, params, cotangent, create_graph=True)
    detached = output.detach().requires_grad_()
    loss = loss_fn(detached, y)
    output_gradient, = torch.autograd.grad(loss, detached, create_graph=True)
    gradient = torch.autograd.grad(output, params, output_gradient.detach(), retain_graph=True)

    def product(vectors):
        jv, = torch.autograd.grad(transposed, cotangent, vectors, retain_graph=True)
        hjv, = torch.autograd.grad(output_gradient, detached, jv, retain_graph=True)
        return torch.autograd.grad(output, params, hjv, retain_graph=True)
    return loss, gradient, product


def _dot(a, b):
    return sum((u * v).sum() for u, v in zip(a, b))


def _newton_cg_step(model, loss_fn, x, y, params, damping=1.0):
    with sdpa_kernel(SDPBackend.MATH):
        loss, gradient, product = _gauss_newton_operator(model, loss_fn, x, y, params)
    with torch.no_grad():
        d = [torch.zeros_like(g) for g in gradient]
        r = [-g for g in gradient]
        p = [t.clone() for t in r]
        rr = _dot(r, r)
    for _ in range(NEWTON_CG_ITERATIONS):
        bp = [b + damping * q for b, q in zip(product(p), p)]
        with torch.no_grad():
            alpha = rr / _dot(p, bp)
            d = [a + alpha * q for a, q in zip(d, p)]
            r = [a - alpha * q for a, q in zip(r, bp)]
            new_rr = _dot(r, r)
            p = [a + (new_rr / rr) * q for a, q in zip(r, p)]
            rr = new_rr
    with torch.no_grad():
        for param, step in zip(params, d):
            param.add_(step)
        trial = loss_fn(model(x), y)
        if not trial.item() <= loss.item():
            for param, step in zip(params, d):
                param.sub_(step)
    return loss


def workloads(model, loss_fn, x, y, seed=0):
    """``{"sgd", "adahessian", "hvp", "newton-cg": step function}`` on the PyTorch twin."""
    params = list(model.parameters())
    sgd = torch.optim.SGD(params, lr=0.01)
    generator = torch.Generator().manual_seed(seed)
    state = {}

    def sgd_step():
        sgd.zero_grad()
        loss_fn(model(x), y).backward()
        sgd.step()

    def hessian_probe():
        with sdpa_kernel(SDPBackend.MATH):
            loss = loss_fn(model(x), y)
            grads = torch.autograd.grad(loss, params, create_graph=True)
            probes = _rademacher(params, generator)
            return grads, probes, torch.autograd.grad(grads, params, probes)

    def adahessian_step():
        grads, probes, products = hessian_probe()
        _adahessian_update(params, [g.detach() for g in grads], probes, products, state)

    return {"sgd": sgd_step, "adahessian": adahessian_step, "hvp": hessian_probe,
            "newton-cg": lambda: _newton_cg_step(model, loss_fn, x, y, params)}


def synchronize(device):
    if device == "cuda":
        torch.cuda.synchronize()


def configure(device, threads):
    """Pin the CPU thread count; on CUDA run true float32 (TF32 off)."""
    if threads is not None:
        torch.set_num_threads(threads)
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def peak_device_memory(device):
    """Peak bytes allocated on the GPU since the last reset (``None`` on the CPU)."""
    if device != "cuda":
        return None
    return torch.cuda.max_memory_allocated()


def reset_device_memory(device):
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
