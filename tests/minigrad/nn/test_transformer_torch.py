"""Optional reference (skipped without PyTorch): one PyTorch ``state_dict`` loaded as it is into
minigrad's ``TransformerEncoder``, ``MultiheadAttention``, ``LayerNorm``, ``Embedding`` and
``GELU``; outputs, parameter gradients and a Hessian-vector product agree to 1e-10 in float64,
with and without attention masks."""
import numpy
import pytest

import minigrad
from minigrad import curvature, nn

torch = pytest.importorskip("torch")
RNG = numpy.random.default_rng(0)
BATCH, LENGTH, WIDTH, HEADS = 3, 5, 8, 2


def close(a, b, tol=1e-10):
    a, b = numpy.asarray(a), numpy.asarray(b)
    assert numpy.abs(a - b).max() <= tol * max(1.0, numpy.abs(b).max()), numpy.abs(a - b).max()


def loaded_pair(torch_module, minigrad_module):
    torch_module.double()
    state = {k: v.detach().numpy() for k, v in torch_module.state_dict().items()}
    assert list(state) == list(minigrad_module.state_dict())
    minigrad_module.load_state_dict(state)
    return torch_module, minigrad_module


def encoders(norm_first=True, activation="gelu", num_layers=2):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(WIDTH, HEADS, 16, dropout=0.0, activation=activation,
                                             batch_first=True, norm_first=norm_first)
    reference = torch.nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(
        WIDTH, HEADS, 16, dropout=0.0, activation=activation, batch_first=True,
        norm_first=norm_first), num_layers)
    return loaded_pair(reference, ours)


def masks():
    causal = numpy.triu(numpy.ones((LENGTH, LENGTH), dtype=bool), 1)
    padding = numpy.zeros((BATCH, LENGTH), dtype=bool)
    padding[0, 3:] = True
    float_mask = RNG.standard_normal((LENGTH, LENGTH))
    return {"none": {}, "causal": {"mask": causal}, "padding": {"src_key_padding_mask": padding},
            "float": {"mask": float_mask},
            "both": {"mask": causal, "src_key_padding_mask": padding}}


@pytest.mark.parametrize("mask_name", list(masks()))
@pytest.mark.parametrize("norm_first,activation", [(True, "gelu"), (False, "relu")])
def test_encoder_output_and_gradients_match_pytorch(norm_first, activation, mask_name):
    reference, ours = encoders(norm_first, activation)
    given = masks()[mask_name]
    x = RNG.standard_normal((BATCH, LENGTH, WIDTH))
    weights = RNG.standard_normal((BATCH, LENGTH, WIDTH))
    expected = reference(torch.tensor(x), **{k: torch.tensor(v) for k, v in given.items()})
    (expected * torch.tensor(weights)).sum().backward()
    out = ours(minigrad.tensor(x), **given)
    close(out.numpy(), expected.detach().numpy())
    (out * minigrad.tensor(weights)).sum().backward()
    for (name, p), q in zip(reference.named_parameters(), ours.parameters()):
        close(q.grad.numpy(), p.grad.numpy())


def test_encoder_hessian_vector_product_matches_pytorch():
    reference, ours = encoders()
    head = (torch.nn.Linear(WIDTH, 3).double(), nn.Linear(WIDTH, 3))
    loaded_pair(*head)
    torch_model = torch.nn.Sequential(reference, torch.nn.Flatten(0, 1), head[0])
    model = nn.Sequential(ours, nn.Flatten(0, 1), head[1])
    x = RNG.standard_normal((BATCH, LENGTH, WIDTH))
    y = RNG.integers(0, 3, BATCH * LENGTH)
    params = list(torch_model.parameters())
    v = [torch.tensor(RNG.standard_normal(p.shape)) for p in params]
    from torch.nn.attention import SDPBackend, sdpa_kernel
    with sdpa_kernel(SDPBackend.MATH):  # the kernel PyTorch can differentiate twice
        loss = torch.nn.functional.cross_entropy(torch_model(torch.tensor(x)), torch.tensor(y))
        gradient = torch.autograd.grad(loss, params, create_graph=True)
        expected = torch.autograd.grad(gradient, params, grad_outputs=v)
    flat_v = numpy.concatenate([t.numpy().ravel() for t in v])
    product = curvature.hvp(model, nn.CrossEntropyLoss(), minigrad.tensor(x), minigrad.tensor(y),
                            flat_v)
    close(minigrad.to_host(product), numpy.concatenate([e.numpy().ravel() for e in expected]))


@pytest.mark.parametrize("average", [True, False])
def test_attention_weights_and_unbatched_inputs_match_pytorch(average):
    torch.manual_seed(1)
    reference, ours = loaded_pair(torch.nn.MultiheadAttention(WIDTH, HEADS),
                                  nn.MultiheadAttention(WIDTH, HEADS))
    q, k = RNG.standard_normal((LENGTH, BATCH, WIDTH)), RNG.standard_normal((4, BATCH, WIDTH))
    padding = numpy.zeros((BATCH, 4), dtype=bool)
    padding[1, 0] = True
    out, weights = ours(minigrad.tensor(q), minigrad.tensor(k), minigrad.tensor(k),
                        key_padding_mask=padding, average_attn_weights=average)
    expected, expected_weights = reference(torch.tensor(q), torch.tensor(k), torch.tensor(k),
                                           key_padding_mask=torch.tensor(padding),
                                           average_attn_weights=average)
    close(out.numpy(), expected.detach().numpy())
    close(weights.numpy(), expected_weights.detach().numpy())
    out, weights = ours(minigrad.tensor(q[:, 0]), minigrad.tensor(k[:, 0]),
                        minigrad.tensor(k[:, 0]))
    expected, expected_weights = reference(*(torch.tensor(t[:, 0]) for t in (q, k, k)))
    close(out.numpy(), expected.detach().numpy())
    close(weights.numpy(), expected_weights.detach().numpy())


def test_layer_norm_embedding_gelu_and_softmax_match_pytorch():
    torch.manual_seed(2)
    cases = [(torch.nn.LayerNorm((3, 4)), nn.LayerNorm((3, 4)), RNG.standard_normal((2, 3, 4))),
             (torch.nn.GELU("tanh"), nn.GELU("tanh"), RNG.standard_normal((2, 3))),
             (torch.nn.GELU(), nn.GELU(), RNG.standard_normal((2, 3))),
             (torch.nn.Softmax(1), nn.Softmax(1), RNG.standard_normal((2, 3, 4))),
             (torch.nn.LogSoftmax(0), nn.LogSoftmax(0), RNG.standard_normal((2, 3)))]
    for reference, ours, x in cases:
        loaded_pair(reference, ours)
        close(ours(minigrad.tensor(x)).numpy(), reference(torch.tensor(x)).detach().numpy())
    reference, ours = loaded_pair(torch.nn.Embedding(6, 3, padding_idx=1),
                                  nn.Embedding(6, 3, padding_idx=1))
    indices = numpy.array([[0, 1, 5], [1, 1, 2]])
    reference(torch.tensor(indices)).pow(2).sum().backward()
    out = ours(minigrad.tensor(indices))
    (out * out).sum().backward()
    close(out.numpy(), reference(torch.tensor(indices)).detach().numpy())
    close(ours.weight.grad.numpy(), reference.weight.grad.numpy())
