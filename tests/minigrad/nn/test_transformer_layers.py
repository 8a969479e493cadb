"""Transformer layers without a reference library: PyTorch's parameter names and shapes,
gradcheck/gradgradcheck of the attention and encoder layers, layouts, and bad input refused with
the layer and the shapes named."""
import numpy
import pytest

import minigrad
from minigrad import nn
from tests.helpers import check_op, random_tensor

ENCODER_KEYS = [
    ("layers.0.self_attn.in_proj_weight", (24, 8)), ("layers.0.self_attn.in_proj_bias", (24,)),
    ("layers.0.self_attn.out_proj.weight", (8, 8)), ("layers.0.self_attn.out_proj.bias", (8,)),
    ("layers.0.linear1.weight", (16, 8)), ("layers.0.linear1.bias", (16,)),
    ("layers.0.linear2.weight", (8, 16)), ("layers.0.linear2.bias", (8,)),
    ("layers.0.norm1.weight", (8,)), ("layers.0.norm1.bias", (8,)),
    ("layers.0.norm2.weight", (8,)), ("layers.0.norm2.bias", (8,))]


def encoder(num_layers=2, **kwargs):
    nn.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", batch_first=True,
                                       norm_first=True, **kwargs)
    return nn.TransformerEncoder(layer, num_layers)


def test_parameter_names_and_layouts_are_pytorchs():
    state = encoder().state_dict()
    assert [(k, v.shape) for k, v in state.items()][:12] == ENCODER_KEYS
    assert len(state) == 24
    numpy.testing.assert_array_equal(state["layers.0.linear1.weight"],  # copies, as PyTorch's
                                     state["layers.1.linear1.weight"])
    attention = nn.MultiheadAttention(8, 2, bias=False)
    assert list(attention.state_dict()) == ["in_proj_weight", "out_proj.weight"]


@pytest.mark.parametrize("batch_first", [True, False])
def test_self_attention_projects_once_through_in_proj_as_three_projections_would(batch_first):
    nn.manual_seed(0)
    attention = nn.MultiheadAttention(8, 2, batch_first=batch_first)
    bias = attention.in_proj_bias
    bias.data = bias.xp.asarray(numpy.random.default_rng(1).standard_normal(24), dtype=bias.dtype)
    seen = []
    attention.in_proj.register_forward_hook(lambda module, args, output: seen.append(output))
    data = numpy.random.default_rng(0).standard_normal((2, 3, 8)).astype(
        attention.in_proj_weight.dtype)
    results = []
    for same in (True, False):
        x = minigrad.tensor(data, requires_grad=True)
        output, weights = attention(x, x, x) if same else attention(x, x * 1.0, x * 1.0)
        output.sum().backward()
        results.append([minigrad.to_host(t.data) for t in (output, weights, x.grad,
                                                            attention.in_proj_weight.grad,
                                                            bias.grad)])
        attention.zero_grad()
    assert [s.shape for s in seen] == [(3, 2, 24) if not batch_first else (2, 3, 24)]
    for packed, separate in zip(*results):
        numpy.testing.assert_allclose(packed, separate, rtol=1e-5, atol=1e-6)
    assert list(attention.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                            "out_proj.bias"]


def test_encoder_layer_gradcheck_in_the_input():
    layer = encoder(num_layers=1).layers[0]
    check_op(layer, [random_tensor((2, 3, 8))])


def test_attention_gradcheck_with_a_padding_mask():
    nn.manual_seed(0)
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    padding = numpy.array([[False, False, True], [False, False, False]])
    check_op(lambda q, k: attention(q, k, k, key_padding_mask=padding)[0],
             [random_tensor((2, 2, 4), 1), random_tensor((2, 3, 4), 2)])


def test_batch_first_false_is_the_transposed_layout():
    nn.manual_seed(0)
    first = nn.MultiheadAttention(4, 2, batch_first=True)
    second = nn.MultiheadAttention(4, 2)
    second.load_state_dict(first.state_dict())
    x = random_tensor((2, 3, 4), requires_grad=False)
    out, weights = first(x, x, x)
    out_t, weights_t = second(*(x.transpose(0, 1),) * 3)
    numpy.testing.assert_allclose(out_t.transpose(0, 1).numpy(), out.numpy(), rtol=1e-12)
    numpy.testing.assert_allclose(weights_t.numpy(), weights.numpy(), rtol=1e-12)
    assert weights.shape == (2, 3, 3)


def test_dropout_acts_in_training_only():
    model = encoder(num_layers=1)
    model.layers[0].self_attn.dropout = 0.5
    x = random_tensor((2, 3, 8), requires_grad=False)
    model.eval()
    first, second = model(x).numpy(), model(x).numpy()
    numpy.testing.assert_array_equal(first, second)
    model.train()
    assert not numpy.allclose(model(x).numpy(), first)


def test_embed_dim_not_divisible_by_num_heads_is_refused():
    with pytest.raises(ValueError, match="MultiheadAttention: embed_dim=10 must be divisible by "
                                         "num_heads=4"):
        nn.MultiheadAttention(10, 4)
    with pytest.raises(ValueError, match="embed_dim=10 must be divisible by num_heads=3"):
        nn.TransformerEncoderLayer(10, 3)


@pytest.mark.parametrize("kwargs,error,message", [
    ({"attn_mask": numpy.zeros((3, 4), dtype=bool)}, ValueError,
     r"MultiheadAttention\(embed_dim=8, num_heads=2\): attn_mask must have shape \(3, 3\) or "
     r"\(4, 3, 3\), got \(3, 4\)"),
    ({"attn_mask": numpy.zeros((3, 3), dtype=numpy.int64)}, TypeError,
     r"attn_mask must be boolean or of the query's dtype float64, got int64 \(shape \(3, 3\)\)"),
    ({"key_padding_mask": numpy.zeros((3, 2), dtype=bool)}, ValueError,
     r"key_padding_mask must have shape \(2, 3\), got \(3, 2\)"),
    ({"attn_mask": numpy.zeros((3, 3), dtype=numpy.float32)}, TypeError,
     "attn_mask must be boolean or of the query's dtype float64, got float32"),
])
def test_bad_attention_masks_are_refused(kwargs, error, message):
    attention = nn.MultiheadAttention(8, 2, batch_first=True)
    x = random_tensor((2, 3, 8), requires_grad=False)
    with pytest.raises(error, match=message):
        attention(x, x, x, **kwargs)


def test_bad_attention_inputs_are_refused():
    attention = nn.MultiheadAttention(8, 2, batch_first=True)
    x = random_tensor((2, 3, 8), requires_grad=False)
    with pytest.raises(ValueError, match=r"query must have shape \(N, L, E\) or \(L, E\) with "
                                         r"E = 8, got \(2, 3, 6\)"):
        attention(random_tensor((2, 3, 6)), x, x)
    with pytest.raises(ValueError, match="is_causal=True is a hint"):
        attention(x, x, x, is_causal=True)


def test_embedding_index_out_of_range_names_the_layer():
    embedding = nn.Embedding(10, 4)
    with pytest.raises(ValueError, match=r"Embedding\(10, 4\): index 10 is out of range \[0, 10\) "
                                         r"\(indices of shape \(2, 2\)\)"):
        embedding(numpy.array([[1, 2], [10, 0]]))
    assert embedding(numpy.array([[1, 2], [9, 0]])).shape == (2, 2, 4)


def test_embedding_padding_row_starts_at_zero():
    embedding = nn.Embedding(5, 3, padding_idx=-1)
    assert embedding.padding_idx == 4
    numpy.testing.assert_array_equal(embedding.weight.numpy()[4], 0)
    with pytest.raises(ValueError, match=r"padding_idx must be in \[-5, 5\), got 5"):
        nn.Embedding(5, 3, padding_idx=5)


def test_layer_norm_shape_mismatch_names_the_layer():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(8,\), eps=1e-05, elementwise_affine=True\)"
                                         r": normalized_shape \(8,\) must equal the last 1 "
                                         r"dimensions of the input, got input of shape \(2, 6\)"):
        nn.LayerNorm(8)(random_tensor((2, 6)))
    assert nn.LayerNorm(8, elementwise_affine=False).state_dict() == {}
    assert list(nn.LayerNorm(8, bias=False).state_dict()) == ["weight"]


def test_unknown_activation_and_softmax_without_dim_are_refused():
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.TransformerEncoderLayer(8, 2, activation="swish")
    with pytest.raises(ValueError, match=r"LogSoftmax: give the axis"):
        nn.LogSoftmax()
    with pytest.raises(ValueError, match="approximate must be one of"):
        nn.GELU("exact")
