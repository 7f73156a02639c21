"""Model shapes, the peephole cell against a hand computation, and initialisation."""

from __future__ import annotations

import math

import pytest
import torch

from forecast.core.choices import Activation, ModelKind
from forecast.core.config import ModelConfig
from forecast.model.networks import PeepholeLSTMCell, build_model

KINDS = list(ModelKind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layers,out", [(1, 1), (2, 12)])
def test_output_shape(kind: ModelKind, layers: int, out: int) -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, layers=layers, hidden_size=8, dropout=0.1, output_size=out))
    y = model(torch.randn(5, 24, 1))
    assert y.shape == (5, out)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("kind", KINDS)
def test_gradients_flow(kind: ModelKind) -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, hidden_size=6, output_size=3))
    model(torch.randn(4, 10, 1)).sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name


def test_rnn_activation_is_used() -> None:
    relu = build_model(ModelConfig(kind=ModelKind.rnn, rnn_activation=Activation.relu))
    tanh = build_model(ModelConfig(kind=ModelKind.rnn))
    assert relu.rnn.nonlinearity == "relu" and tanh.rnn.nonlinearity == "tanh"


def _sig(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def test_peephole_cell_matches_hand_computation() -> None:
    cell = PeepholeLSTMCell(input_size=1, hidden_size=1)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor([[0.5], [-0.3], [0.8], [0.1]]))  # i, f, g, o
        cell.weight_hh.copy_(torch.tensor([[0.2], [0.4], [-0.6], [0.7]]))
        cell.bias.copy_(torch.tensor([0.1, 1.0, -0.2, 0.05]))
        cell.peephole.copy_(torch.tensor([[0.3], [-0.5], [0.9]]))  # p_i, p_f, p_o
    x, h0, c0 = 2.0, 0.25, -0.4
    i = _sig(0.5 * x + 0.2 * h0 + 0.1 + 0.3 * c0)
    f = _sig(-0.3 * x + 0.4 * h0 + 1.0 - 0.5 * c0)
    g = math.tanh(0.8 * x - 0.6 * h0 - 0.2)
    c1 = f * c0 + i * g
    o = _sig(0.1 * x + 0.7 * h0 + 0.05 + 0.9 * c1)  # output gate peeks at the new cell
    h1 = o * math.tanh(c1)
    xw = torch.tensor([[x]]) @ cell.weight_ih.T + cell.bias
    h, c = cell.step(xw, torch.tensor([[h0]]), torch.tensor([[c0]]))
    assert c.item() == pytest.approx(c1, abs=1e-6)
    assert h.item() == pytest.approx(h1, abs=1e-6)


def test_peephole_sequence_equals_repeated_steps() -> None:
    torch.manual_seed(1)
    cell = PeepholeLSTMCell(2, 3)
    torch.nn.init.normal_(cell.weight_ih)
    torch.nn.init.normal_(cell.weight_hh)
    torch.nn.init.normal_(cell.peephole)
    x = torch.randn(4, 5, 2)
    out = cell(x)
    h = c = torch.zeros(4, 3)
    for t in range(5):
        h, c = cell.step(x[:, t] @ cell.weight_ih.T + cell.bias, h, c)
        torch.testing.assert_close(out[:, t], h)


def test_peephole_without_peepholes_equals_torch_lstm() -> None:
    torch.manual_seed(2)
    ref = torch.nn.LSTM(1, 4, batch_first=True)
    cell = PeepholeLSTMCell(1, 4)
    with torch.no_grad():
        cell.weight_ih.copy_(ref.weight_ih_l0)
        cell.weight_hh.copy_(ref.weight_hh_l0)
        cell.bias.copy_(ref.bias_ih_l0 + ref.bias_hh_l0)
    x = torch.randn(3, 7, 1)
    torch.testing.assert_close(cell(x), ref(x)[0])


@pytest.mark.parametrize("kind", [ModelKind.lstm, ModelKind.lstm_peephole])
def test_lstm_initialisation(kind: ModelKind) -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, layers=1, hidden_size=8))
    params = dict(model.rnn.named_parameters())
    w_hh = next(v for k, v in params.items() if "weight_hh" in k)
    for block in w_hh.detach().chunk(4, dim=0):  # each gate's recurrent block is orthogonal
        torch.testing.assert_close(block @ block.T, torch.eye(8), atol=1e-5, rtol=0)
    bias = sum(v.detach() for k, v in params.items() if "bias" in k)
    assert torch.all(bias[8:16] == 1.0)  # forget gate
    assert torch.all(bias[:8] == 0.0) and torch.all(bias[16:] == 0.0)
