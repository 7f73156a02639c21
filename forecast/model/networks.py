"""Recurrent networks with a linear head: ``build_model(cfg)``.

Shapes: inputs (batch, lookback, input_size) -> outputs (batch, output_size), where
output_size is the horizon (many-to-many) or 1 (many-to-one).
"""

from __future__ import annotations

import torch
from torch import nn

from forecast.core.choices import ModelKind
from forecast.core.config import ModelConfig

__all__ = ["build_model", "state_shapes", "Forecaster", "PeepholeLSTM", "PeepholeLSTMCell"]


class PeepholeLSTMCell(nn.Module):
    """One LSTM layer whose gates also see the cell state (Gers & Schmidhuber, 2000).

    i = s(W_i x + U_i h + p_i * c_prev + b_i)     f = s(W_f x + U_f h + p_f * c_prev + b_f)
    g = tanh(W_g x + U_g h + b_g)                 c = f * c_prev + i * g
    o = s(W_o x + U_o h + p_o * c + b_o)          h = o * tanh(c)
    Gate order in the stacked weights: i, f, g, o (as torch.nn.LSTM).
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias = nn.Parameter(torch.zeros(4 * hidden_size))
        self.peephole = nn.Parameter(torch.zeros(3, hidden_size))  # p_i, p_f, p_o

    def step(self, xw: torch.Tensor, h: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One time step; ``xw`` is the precomputed W x + b, shape (batch, 4 * hidden)."""
        gates = xw + h @ self.weight_hh.T  # (batch, 4 * hidden)
        gi, gf, gg, go = gates.chunk(4, dim=1)
        i = torch.sigmoid(gi + self.peephole[0] * c)
        f = torch.sigmoid(gf + self.peephole[1] * c)
        c = f * c + i * torch.tanh(gg)
        o = torch.sigmoid(go + self.peephole[2] * c)
        return o * torch.tanh(c), c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, steps, _ = x.shape
        xw = x @ self.weight_ih.T + self.bias  # (batch, steps, 4 * hidden), all steps at once
        h = x.new_zeros(batch, self.hidden_size)
        c = x.new_zeros(batch, self.hidden_size)
        outputs = []
        for t in range(steps):  # the only loop: over time steps, vectorised over the batch
            h, c = self.step(xw[:, t], h, c)
            outputs.append(h)
        return torch.stack(outputs, dim=1)  # (batch, steps, hidden)


class PeepholeLSTM(nn.Module):
    """Stacked peephole LSTM layers with dropout between them (batch first)."""

    def __init__(self, input_size: int, hidden_size: int, layers: int, dropout: float) -> None:
        super().__init__()
        sizes = [input_size] + [hidden_size] * (layers - 1)
        self.cells = nn.ModuleList(PeepholeLSTMCell(n, hidden_size) for n in sizes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        for k, cell in enumerate(self.cells):
            if k:
                x = self.dropout(x)
            x = cell(x)
        return x, None


class Forecaster(nn.Module):
    """Recurrent encoder + linear head on the last hidden state."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        dropout = cfg.dropout if cfg.layers > 1 else 0.0
        common = dict(
            input_size=cfg.input_size,
            hidden_size=cfg.hidden_size,
            num_layers=cfg.layers,
            dropout=dropout,
            batch_first=True,
        )
        self.rnn: nn.Module
        if cfg.kind is ModelKind.lstm:
            self.rnn = nn.LSTM(**common)
        elif cfg.kind is ModelKind.gru:
            self.rnn = nn.GRU(**common)
        elif cfg.kind is ModelKind.rnn:
            self.rnn = nn.RNN(**common, nonlinearity=cfg.rnn_activation.value)
        else:
            self.rnn = PeepholeLSTM(cfg.input_size, cfg.hidden_size, cfg.layers, dropout)
        self.head = nn.Linear(cfg.hidden_size, cfg.output_size)
        # Known-ahead covariates: the last ``output_size`` input steps carry their values at the
        # dates being forecast (``covariates.features``); a linear map of them joins the head,
        # so their effect need not survive the recurrence.
        self.ahead_inputs = cfg.ahead_inputs
        self.ahead = (
            nn.Linear(cfg.output_size * cfg.ahead_inputs, cfg.output_size, bias=False)
            if cfg.ahead_inputs
            else None
        )
        _initialise(self, cfg.kind)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)  # (batch, lookback, hidden)
        y = self.head(out[:, -1])  # (batch, output_size)
        if self.ahead is not None:
            steps = self.head.out_features
            known = x[:, -steps:, -self.ahead_inputs :]  # (batch, output_size, ahead_inputs)
            y = y + self.ahead(known.reshape(x.shape[0], -1))
        return y


def _initialise(model: Forecaster, kind: ModelKind) -> None:
    """Xavier for input weights, orthogonal per gate for recurrent ones, forget bias 1."""
    gates = {ModelKind.lstm: 4, ModelKind.lstm_peephole: 4, ModelKind.gru: 3, ModelKind.rnn: 1}[kind]
    for name, param in model.rnn.named_parameters():
        if "weight_ih" in name:
            nn.init.xavier_uniform_(param)
        elif "weight_hh" in name:
            for block in param.data.chunk(gates, dim=0):
                nn.init.orthogonal_(block)
        elif "bias" in name:
            nn.init.zeros_(param)
            if kind in (ModelKind.lstm, ModelKind.lstm_peephole) and "bias_hh" not in name:
                hidden = param.shape[0] // 4
                param.data[hidden : 2 * hidden] = 1.0  # forget gate: remember by default
    nn.init.xavier_uniform_(model.head.weight)
    nn.init.zeros_(model.head.bias)


def build_model(cfg: ModelConfig) -> Forecaster:
    """The network described by ``cfg``, freshly initialised (seed torch first)."""
    return Forecaster(cfg)


def state_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The name and shape of every tensor in the state dict of ``build_model(cfg)``, found on
    the meta device: nothing is allocated, whatever sizes ``cfg`` asks for."""
    with torch.device("meta"):
        model = Forecaster(cfg)
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}
