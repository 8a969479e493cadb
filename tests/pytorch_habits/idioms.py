"""The idiom table: everyday PyTorch code, each row run on minigrad and (optionally) on PyTorch.

A row is ``Row(name, run, expected)``. ``run(T)`` writes the idiom against a
namespace ``T`` that holds the library (``T.lib``: ``minigrad`` or ``torch``),
``T.nn``, ``T.F``, ``T.optim``, ``T.lr_scheduler``, ``T.DataLoader`` and
``T.TensorDataset``, so the same code runs on both. ``expected`` is one of

* a value: the idiom gives PyTorch's result (tensors compared as nested lists,
  dtypes by name, shapes as tuples);
* ``Same(error, pattern)``: PyTorch raises ``error`` and so does minigrad, with
  a message matching ``pattern``;
* ``Refused(error, pattern)``: minigrad refuses with a clear message where
  PyTorch goes on (a device or feature minigrad does not have).
"""
import collections
import os
import tempfile

import numpy

Row = collections.namedtuple("Row", ["name", "run", "expected"])
Same = collections.namedtuple("Same", ["error", "pattern"])
Refused = collections.namedtuple("Refused", ["error", "pattern"])

MATRIX = [[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]]
WEIGHT = [[0.5, -0.25], [1.0, 0.75], [-0.5, 0.25]]
BIAS = [0.1, -0.2, 0.3]


def matrix(T, requires_grad=False):
    return T.lib.tensor(MATRIX, requires_grad=requires_grad)


def fixed_linear(T):
    """``Linear(2, 3)`` with the weights ``WEIGHT`` and bias ``BIAS``."""
    layer = T.nn.Linear(2, 3)
    with T.lib.no_grad():
        layer.weight.copy_(T.lib.tensor(WEIGHT))
        layer.bias.copy_(T.lib.tensor(BIAS))
    return layer


def quadratic_steps(T, make_optimizer, steps=3):
    """``θ`` after ``steps`` updates of ``Σ (θ − 1)² · [1, 2]`` from ``θ = [0, 3]``."""
    theta = T.lib.tensor([0.0, 3.0], requires_grad=True)
    optimizer = make_optimizer([theta])
    for _ in range(steps):
        optimizer.zero_grad()
        ((theta - 1) ** 2 * T.lib.tensor([1.0, 2.0])).sum().backward()
        optimizer.step()
    return theta.detach()


# creation
def seeded_rand_repeats(T):
    T.lib.manual_seed(0)
    first = T.lib.rand(3)
    T.lib.manual_seed(0)
    return bool((first == T.lib.rand(3)).all())


def randint_range_and_dtype(T):
    x = T.lib.randint(0, 10, (50,))
    return bool(((x >= 0) & (x < 10)).all()), x.dtype


# in-place
def gradient_step_in_no_grad(T):
    p = T.lib.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    with T.lib.no_grad():
        p -= 0.25 * p.grad
    return p.detach(), p.requires_grad, p.is_leaf


def layer_weight_minus_equals(T):
    layer = fixed_linear(T)
    weight = layer.weight
    with T.lib.no_grad():
        layer.weight -= 1.0
    return layer.weight is weight, any(p is weight for p in layer.parameters())


def alias_sees_in_place_add(T):
    x = T.lib.tensor([1.0, 2.0])
    y = x
    x += 1
    return y


def leaf_in_place_outside_no_grad(T):
    p = T.lib.tensor([1.0], requires_grad=True)
    p.add_(1.0)


def saved_value_changed_before_backward(T):
    x = T.lib.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.add_(1.0)
    y.sum().backward()


def in_place_on_intermediate_is_differentiable(T):
    x = T.lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.mul_(x)
    y.sum().backward()
    return x.grad


def grad_zero_in_place(T):
    x = T.lib.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    x.grad.zero_()
    return x.grad


def masked_assignment(T):
    x = matrix(T)
    x[x < 0] = 0.0
    x[:, 0] += 10.0
    return x


def assignment_into_graph(T):
    w = T.lib.tensor([1.0, 2.0], requires_grad=True)
    out = T.lib.zeros(2, 2)
    out[1] = w * w
    out.sum().backward()
    return w.grad


def integer_plus_equals_float(T):
    x = T.lib.tensor([1, 2])
    x += 1.5


def chained_in_place(T):
    return T.lib.zeros(3).fill_(2.0).mul_(3.0).sub_(1.0).clamp_(max=4.0)


# autograd
def simple_backward(T):
    x = T.lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x ** 2).sum().backward()
    return x.grad


def gradients_accumulate(T):
    x = T.lib.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    return x.grad


def autograd_grad(T):
    x = T.lib.tensor([1.0, 2.0], requires_grad=True)
    (g,) = T.lib.autograd.grad((x ** 3).sum(), x)
    return g


def hessian_vector_product(T):
    x = T.lib.tensor([1.0, 2.0], requires_grad=True)
    (g,) = T.lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
    (hv,) = T.lib.autograd.grad((g * T.lib.tensor([1.0, 1.0])).sum(), x)
    return hv


def no_grad_result(T):
    x = T.lib.tensor([1.0], requires_grad=True)
    with T.lib.no_grad():
        y = x * 2
    return y.requires_grad


def set_grad_enabled_false(T):
    x = T.lib.tensor([1.0], requires_grad=True)
    with T.lib.set_grad_enabled(False):
        y = x * 2
    return y.requires_grad


def backward_of_a_vector(T):
    x = T.lib.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward()


def backward_with_gradient_argument(T):
    x = T.lib.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward(T.lib.tensor([1.0, 10.0]))
    return x.grad


def backward_twice(T):
    x = T.lib.tensor([1.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    y.backward()


def requires_grad_on_integers(T):
    T.lib.tensor([1, 2]).requires_grad_(True)


def detach_and_clone(T):
    x = T.lib.tensor([1.0, 2.0], requires_grad=True)
    return x.detach().requires_grad, x.clone().requires_grad, x.clone().is_leaf


def integer_cast_leaves_the_graph(T):
    x = T.lib.tensor([1.5, 2.0], requires_grad=True)
    return x.to(T.lib.int64).requires_grad


# nn.Module
def linear_forward(T):
    return fixed_linear(T)(T.lib.tensor([[1.0, 2.0]])).detach()


def parameter_count(T):
    model = T.nn.Sequential(T.nn.Linear(4, 3), T.nn.ReLU(), T.nn.Linear(3, 2))
    return sum(p.numel() for p in model.parameters())


def named_parameter_names(T):
    model = T.nn.Sequential(T.nn.Linear(4, 3), T.nn.ReLU(), T.nn.Linear(3, 2))
    return [name for name, _ in model.named_parameters()]


def state_dict_round_trip(T):
    source, target = fixed_linear(T), T.nn.Linear(2, 3)
    target.load_state_dict(source.state_dict())
    return target.weight.detach()


def train_eval_flags(T):
    model = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.Dropout(0.5))
    model.eval()
    evaluating = [m.training for m in model.modules()]
    model.train()
    return evaluating, [m.training for m in model.modules()]


def dropout_in_eval_is_identity(T):
    layer = T.nn.Dropout(0.5)
    layer.eval()
    return layer(T.lib.tensor([1.0, 2.0, 3.0]))


def module_to_float64(T):
    return fixed_linear(T).to(T.lib.float64).weight.dtype


def module_to_int64(T):
    fixed_linear(T).to(T.lib.int64)


def conv_pool_flatten_shapes(T):
    x = T.lib.zeros(2, 1, 28, 28)
    conv = T.nn.Conv2d(1, 32, 3, 1)
    y = T.F.max_pool2d(T.F.relu(conv(x)), 2)
    return y.shape, T.lib.flatten(y, 1).shape, T.nn.Flatten()(y).shape


def cross_entropy_value(T):
    logits = T.lib.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    return T.nn.CrossEntropyLoss()(logits, T.lib.tensor([0, 2])).item()


def nll_of_log_softmax(T):
    logits = T.lib.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    return T.F.nll_loss(T.F.log_softmax(logits, dim=1), T.lib.tensor([0, 2]),
                        reduction="sum").item()


def mse_value(T):
    return T.F.mse_loss(T.lib.tensor([1.0, 2.0]), T.lib.tensor([0.0, 4.0])).item()


def activations(T):
    x = T.lib.tensor([-1.0, 0.0, 2.0])
    return T.nn.ReLU()(x), T.lib.sigmoid(x), T.lib.tanh(x)


def module_zero_grad(T):
    layer = fixed_linear(T)
    layer(T.lib.ones(1, 2)).sum().backward()
    layer.zero_grad()
    return layer.weight.grad is None


def identity_with_arguments(T):
    return T.nn.Identity(54, unused=0.1)(T.lib.tensor([1.0]))


def module_list_and_sequential_indexing(T):
    layers = T.nn.ModuleList([T.nn.Linear(2, 2), T.nn.Linear(2, 3)])
    model = T.nn.Sequential(*layers)
    return len(layers), model[1].out_features, len(list(model.parameters()))


def clip_grad_norm_returns_total(T):
    p = T.lib.tensor([0.0, 0.0], requires_grad=True)
    p.grad = T.lib.tensor([3.0, 4.0])
    total = T.nn.utils.clip_grad_norm_([p], max_norm=1.0)
    return total.item(), p.grad


def xavier_bound(T):
    w = T.lib.empty(30, 20)
    T.nn.init.xavier_uniform_(w)
    return bool((w.abs() <= (6 / 50) ** 0.5).all())


def kaiming_normal_std(T):
    T.lib.manual_seed(0)
    w = T.lib.empty(400, 500)
    T.nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    return round(float(w.var()) ** 0.5 / (2 / 400) ** 0.5, 1)


def orthogonal_rows(T):
    w = T.lib.empty(3, 5)
    T.nn.init.orthogonal_(w)
    return w @ w.T


# optimizers and schedulers
def sgd_steps(T):
    return quadratic_steps(T, lambda p: T.optim.SGD(p, lr=0.1))


def sgd_momentum_steps(T):
    return quadratic_steps(T, lambda p: T.optim.SGD(p, lr=0.1, momentum=0.9))


def adam_steps(T):
    return quadratic_steps(T, lambda p: T.optim.Adam(p, lr=0.1))


def adadelta_steps(T):
    return quadratic_steps(T, lambda p: T.optim.Adadelta(p, lr=1.0))


def rmsprop_steps(T):
    return quadratic_steps(T, lambda p: T.optim.RMSprop(p, lr=0.01))


def param_group_lr(T):
    optimizer = T.optim.SGD([T.lib.zeros(2, requires_grad=True)], lr=0.5)
    optimizer.param_groups[0]["lr"] = 0.25
    return [group["lr"] for group in optimizer.param_groups]


def optimizer_state_dict_keys(T):
    optimizer = T.optim.Adam([T.lib.zeros(2, requires_grad=True)], lr=0.5)
    return sorted(optimizer.state_dict())


def optimizer_zero_grad_sets_none(T):
    p = T.lib.zeros(2, requires_grad=True)
    p.grad = T.lib.ones(2)
    T.optim.SGD([p], lr=0.1).zero_grad()
    return p.grad is None


def negative_learning_rate(T):
    T.optim.SGD([T.lib.zeros(2, requires_grad=True)], lr=-0.1)


def step_lr(T):
    optimizer = T.optim.SGD([T.lib.zeros(2, requires_grad=True)], lr=1.0)
    scheduler = T.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    rates = []
    for _ in range(5):
        optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr()[0])
    return rates


def exponential_lr(T):
    optimizer = T.optim.SGD([T.lib.zeros(2, requires_grad=True)], lr=1.0)
    scheduler = T.lr_scheduler.ExponentialLR(optimizer, gamma=0.7)
    for _ in range(2):
        optimizer.step()
        scheduler.step()
    return optimizer.param_groups[0]["lr"]


# data
def loader_length_and_shapes(T):
    dataset = T.TensorDataset(T.lib.arange(10.0).reshape(5, 2), T.lib.tensor([0, 1, 0, 1, 1]))
    loader = T.DataLoader(dataset, batch_size=2)
    return len(dataset), len(loader), [tuple(x.shape) for x, _ in loader]


def loader_drop_last(T):
    dataset = T.TensorDataset(T.lib.arange(10.0).reshape(5, 2), T.lib.tensor([0, 1, 0, 1, 1]))
    return len(T.DataLoader(dataset, batch_size=2, drop_last=True))


def loader_batches_in_order(T):
    dataset = T.TensorDataset(T.lib.arange(6.0).reshape(3, 2), T.lib.tensor([0, 1, 2]))
    return [y for _, y in T.DataLoader(dataset, batch_size=2)]


def accuracy_count(T):
    output = T.lib.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    target = T.lib.tensor([1, 1, 1])
    pred = output.argmax(dim=1, keepdim=True)
    return pred.eq(target.view_as(pred)).sum().item()


def save_and_load_a_dict(T):
    path = os.path.join(tempfile.mkdtemp(), "run.pt")
    model = fixed_linear(T)
    optimizer = T.optim.SGD(model.parameters(), lr=0.1)
    T.lib.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3},
               path)
    state = T.lib.load(path)
    restored = T.nn.Linear(2, 3)
    restored.load_state_dict(state["model"])
    return state["epoch"], restored.weight.detach(), state["optimizer"]["param_groups"][0]["lr"]


ROWS = [
    # tensor creation
    Row("zeros(2, 3).shape", lambda T: T.lib.zeros(2, 3).shape, (2, 3)),
    Row("zeros((2, 3)).size()", lambda T: T.lib.zeros((2, 3)).size(), (2, 3)),
    Row("ones(2).dtype", lambda T: T.lib.ones(2).dtype, "float32"),
    Row("tensor of floats", lambda T: T.lib.tensor([1.0, 2.5]), [1.0, 2.5]),
    Row("tensor of ints is int64", lambda T: T.lib.tensor([1, 2]).dtype, "int64"),
    Row("tensor of a float64 array", lambda T: T.lib.tensor(numpy.arange(2.0)).dtype, "float64"),
    Row("arange(5)", lambda T: T.lib.arange(5), [0, 1, 2, 3, 4]),
    Row("arange(0, 1, 0.25)", lambda T: T.lib.arange(0, 1, 0.25), [0.0, 0.25, 0.5, 0.75]),
    Row("full((2,), 7.0)", lambda T: T.lib.full((2,), 7.0), [7.0, 7.0]),
    Row("full((2,), 7).dtype", lambda T: T.lib.full((2,), 7).dtype, "int64"),
    Row("zeros_like(x).shape", lambda T: T.lib.zeros_like(matrix(T)).shape, (2, 3)),
    Row("zeros(2, dtype=float64)", lambda T: T.lib.zeros(2, dtype=T.lib.float64).dtype, "float64"),
    Row("rand is in [0, 1)", lambda T: bool(((T.lib.rand(100) >= 0) & (T.lib.rand(100) < 1)).all()),
        True),
    Row("randn(3, 4).shape", lambda T: T.lib.randn(3, 4).shape, (3, 4)),
    Row("randint range and dtype", randint_range_and_dtype, (True, "int64")),
    Row("manual_seed repeats rand", seeded_rand_repeats, True),
    Row("rand(3, dtype=int64)", lambda T: T.lib.rand(3, dtype=T.lib.int64),
        Same(RuntimeError, "rand: draws real numbers and needs a floating dtype")),
    Row("full((2,), nan, dtype=int64)",
        lambda T: T.lib.full((2,), float("nan"), dtype=T.lib.int64),
        Same(RuntimeError, "cannot be converted to type int64 without overflow")),
    # attributes and shape
    Row("x.size(-1)", lambda T: matrix(T).size(-1), 3),
    Row("x.numel()", lambda T: matrix(T).numel(), 6),
    Row("x.dim()", lambda T: matrix(T).dim(), 2),
    Row("len(x)", lambda T: len(matrix(T)), 2),
    Row("x[0, 2].item()", lambda T: matrix(T)[0, 2].item(), 3.0),
    Row("x.tolist()", lambda T: matrix(T).tolist(), MATRIX),
    Row("x.float() of ints", lambda T: T.lib.tensor([1, 2]).float().dtype, "float32"),
    Row("x.long()", lambda T: T.lib.tensor([1.7, -1.7]).long(), [1, -1]),
    Row("x.to(float64)", lambda T: matrix(T).to(T.lib.float64).dtype, "float64"),
    Row("x.to(x.device) is x", lambda T: (lambda x: x.to(x.device) is x)(matrix(T)), True),
    Row("x.to(device('cpu')).device.type",
        lambda T: matrix(T).to(T.lib.device("cpu")).device.type, "cpu"),
    Row("x.view(-1)", lambda T: matrix(T).view(-1), sum(MATRIX, [])),
    Row("x.reshape(3, -1).shape", lambda T: matrix(T).reshape(3, -1).shape, (3, 2)),
    Row("x.view_as(y).shape", lambda T: matrix(T).view_as(T.lib.zeros(6, 1)).shape, (6, 1)),
    Row("flatten(x, 1) of 3-d", lambda T: T.lib.flatten(T.lib.zeros(2, 3, 4), 1).shape, (2, 12)),
    Row("x.unsqueeze(0).shape", lambda T: matrix(T).unsqueeze(0).shape, (1, 2, 3)),
    Row("x.squeeze().shape", lambda T: T.lib.zeros(1, 3, 1).squeeze().shape, (3,)),
    Row("x.T", lambda T: matrix(T).T, [list(r) for r in zip(*MATRIX)]),
    Row("x.permute(1, 0).shape", lambda T: matrix(T).permute(1, 0).shape, (3, 2)),
    Row("x.expand(3, -1)", lambda T: T.lib.tensor([[1.0, 2.0]]).expand(3, -1),
        [[1.0, 2.0]] * 3),
    Row("x.repeat(2, 2)", lambda T: T.lib.tensor([[1.0, 2.0]]).repeat(2, 2),
        [[1.0, 2.0, 1.0, 2.0]] * 2),
    Row("cat along dim 1", lambda T: T.lib.cat([matrix(T), matrix(T)], dim=1).shape, (2, 6)),
    Row("stack along dim 0", lambda T: T.lib.stack([matrix(T), matrix(T)]).shape, (2, 2, 3)),
    # indexing and reductions
    Row("x[:, 1]", lambda T: matrix(T)[:, 1], [-2.0, 5.0]),
    Row("x[x > 0]", lambda T: (lambda x: x[x > 0])(matrix(T)), [1.0, 3.0, 4.0, 5.0]),
    Row("x[[1, 0]]", lambda T: matrix(T)[[1, 0]], MATRIX[::-1]),
    Row("x[..., -1]", lambda T: matrix(T)[..., -1], [3.0, -6.0]),
    Row("where(x > 0, x, 0.0)", lambda T: (lambda x: T.lib.where(x > 0, x, 0.0))(matrix(T)),
        [[1.0, 0.0, 3.0], [4.0, 5.0, 0.0]]),
    Row("clamp(x, -1, 1)", lambda T: T.lib.clamp(matrix(T), -1, 1),
        [[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]]),
    Row("gather(x, 1, index)", lambda T: T.lib.gather(matrix(T), 1, T.lib.tensor([[2], [0]])),
        [[3.0], [4.0]]),
    Row("sort(x, dim=1).values", lambda T: T.lib.sort(matrix(T), dim=1).values,
        [[-2.0, 1.0, 3.0], [-6.0, 4.0, 5.0]]),
    Row("topk(x, 2).indices", lambda T: T.lib.topk(matrix(T), 2).indices, [[2, 0], [1, 0]]),
    Row("x.argmax(dim=1)", lambda T: matrix(T).argmax(dim=1), [2, 1]),
    Row("values, indices = x.max(dim=1)", lambda T: tuple(matrix(T).max(dim=1)),
        ([3.0, 5.0], [2, 1])),
    Row("x.sum(dim=0)", lambda T: matrix(T).sum(dim=0), [5.0, 3.0, -3.0]),
    Row("x.mean(dim=1, keepdim=True)", lambda T: matrix(T).mean(dim=1, keepdim=True),
        [[2.0 / 3], [1.0]]),
    Row("(x > 0).dtype", lambda T: (matrix(T) > 0).dtype, "bool"),
    Row("broadcast add", lambda T: (matrix(T) + T.lib.tensor([1.0, 1.0, 1.0]))[1],
        [5.0, 6.0, -5.0]),
    Row("x @ x.T", lambda T: matrix(T) @ matrix(T).T, [[14.0, -24.0], [-24.0, 77.0]]),
    Row("x ** 2 and abs", lambda T: (matrix(T) ** 2 + matrix(T).abs())[0], [2.0, 6.0, 12.0]),
    Row("accuracy with eq / view_as / sum().item()", accuracy_count, 2),
    # in-place
    Row("with no_grad(): p -= lr * p.grad", gradient_step_in_no_grad, ([0.5, 1.0], True, True)),
    Row("layer.weight -= ... keeps the Parameter", layer_weight_minus_equals, (True, True)),
    Row("x += 1 seen through an alias", alias_sees_in_place_add, [2.0, 3.0]),
    Row("fill_ mul_ sub_ clamp_ chain", chained_in_place, [4.0, 4.0, 4.0]),
    Row("in-place on a leaf that requires grad", leaf_in_place_outside_no_grad,
        Same(RuntimeError, "a leaf Variable that requires grad is being used in an in-place "
                           "operation.")),
    Row("saved value changed in place, then backward", saved_value_changed_before_backward,
        Same(RuntimeError, "one of the variables needed for gradient computation has been "
                           "modified by an inplace operation")),
    Row("mul_ of an intermediate result", in_place_on_intermediate_is_differentiable, [4.0, 8.0]),
    Row("x.grad.zero_()", grad_zero_in_place, [0.0, 0.0]),
    Row("x[x < 0] = 0; x[:, 0] += 10", masked_assignment, [[11.0, 0.0, 3.0], [14.0, 5.0, 0.0]]),
    Row("out[1] = w * w, then backward", assignment_into_graph, [2.0, 4.0]),
    Row("int tensor += 1.5", integer_plus_equals_float,
        Same(RuntimeError, "result type float64 can't be cast to the desired output type int64")),
    # autograd
    Row("(x ** 2).sum().backward()", simple_backward, [2.0, 4.0, 6.0]),
    Row("gradients accumulate", gradients_accumulate, [5.0, 5.0]),
    Row("autograd.grad", autograd_grad, [3.0, 12.0]),
    Row("Hessian-vector product", hessian_vector_product, [6.0, 12.0]),
    Row("no_grad result", no_grad_result, False),
    Row("set_grad_enabled(False)", set_grad_enabled_false, False),
    Row("backward of a vector", backward_of_a_vector,
        Same(RuntimeError, "grad can be implicitly created only for scalar outputs")),
    Row("backward(gradient)", backward_with_gradient_argument, [2.0, 20.0]),
    Row("backward twice", backward_twice, Same(RuntimeError, "a second time")),
    Row("detach / clone", detach_and_clone, (False, True, False)),
    Row("x.to(int64) leaves the graph", integer_cast_leaves_the_graph, False),
    Row("int tensor .requires_grad_()", requires_grad_on_integers,
        Same(RuntimeError, "only Tensors of floating point dtype can require gradients")),
    Row("x.requires_grad_() / is_leaf",
        lambda T: (lambda x: (x.requires_grad, x.is_leaf, (x * 2).is_leaf))(
            T.lib.ones(2).requires_grad_()), (True, True, False)),
    Row("x.grad before backward", lambda T: T.lib.ones(2, requires_grad=True).grad, None),
    # nn.Module
    Row("Linear forward", linear_forward, [[0.1, 2.3, 0.3]]),
    Row("parameter count", parameter_count, 23),
    Row("named_parameters", named_parameter_names, ["0.weight", "0.bias", "2.weight", "2.bias"]),
    Row("state_dict / load_state_dict", state_dict_round_trip, WEIGHT),
    Row("train() / eval()", train_eval_flags, ([False] * 3, [True] * 3)),
    Row("Dropout in eval", dropout_in_eval_is_identity, [1.0, 2.0, 3.0]),
    Row("model.to(float64)", module_to_float64, "float64"),
    Row("model.to(int64)", module_to_int64,
        Same(TypeError, "only accepts floating point or complex dtypes")),
    Row("conv / max_pool / flatten shapes", conv_pool_flatten_shapes,
        ((2, 32, 13, 13), (2, 5408), (2, 5408))),
    Row("CrossEntropyLoss", cross_entropy_value, 0.62162709),
    Row("nll_loss(log_softmax, reduction='sum')", nll_of_log_softmax, 1.2432542),
    Row("mse_loss", mse_value, 2.5),
    Row("ReLU, sigmoid, tanh", activations,
        ([0.0, 0.0, 2.0], [0.26894142, 0.5, 0.8807971], [-0.7615942, 0.0, 0.9640276])),
    Row("module.zero_grad()", module_zero_grad, True),
    Row("nn.Identity(54, unused=0.1)", identity_with_arguments, [1.0]),
    Row("ModuleList and Sequential indexing", module_list_and_sequential_indexing, (2, 3, 4)),
    Row("clip_grad_norm_", clip_grad_norm_returns_total, (5.0, [0.6, 0.8])),
    Row("xavier_uniform_ bound", xavier_bound, True),
    Row("kaiming_normal_ std", kaiming_normal_std, 1.0),
    Row("orthogonal_ rows", orthogonal_rows, numpy.eye(3).tolist()),
    Row("save / load a dict of state dicts", save_and_load_a_dict, (3, WEIGHT, 0.1)),
    # optimizers and schedulers
    Row("SGD", sgd_steps, [0.488, 1.432]),
    Row("SGD with momentum", sgd_momentum_steps, [0.938, -0.08]),
    Row("Adam", adam_steps, [0.29841369, 2.7006235]),
    Row("Adadelta", adadelta_steps, [0.0096909543, 2.9903007]),
    Row("RMSprop", rmsprop_steps, [0.22001773, 2.7753494]),
    Row("param_groups lr", param_group_lr, [0.25]),
    Row("optimizer.state_dict() keys", optimizer_state_dict_keys, ["param_groups", "state"]),
    Row("optimizer.zero_grad()", optimizer_zero_grad_sets_none, True),
    Row("SGD(lr=-0.1)", negative_learning_rate, Same(ValueError, "lr")),
    Row("StepLR", step_lr, [1.0, 0.5, 0.5, 0.25, 0.25]),
    Row("ExponentialLR", exponential_lr, 0.49),
    # data
    Row("DataLoader length and batch shapes", loader_length_and_shapes,
        (5, 3, [(2, 2), (2, 2), (1, 2)])),
    Row("DataLoader(drop_last=True)", loader_drop_last, 2),
    Row("DataLoader keeps the order", loader_batches_in_order, [[0, 1], [2]]),
    # devices
    Row("device('cuda:0')", lambda T: (lambda d: (d.type, d.index))(T.lib.device("cuda:0")),
        ("cuda", 0)),
    Row("device('mps')", lambda T: T.lib.device("mps"),
        Refused(ValueError, "unknown device 'mps'")),
]
