"""The training loop: learning, early stopping, divergence and determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from forecast.core.choices import Device, Loss, ModelKind, Schedule
from forecast.core.config import ModelConfig, TrainConfig
from forecast.core.errors import TrainingError, UsageError
from forecast.model.loop import fit, resolve_device, seed_everything
from forecast.model.networks import build_model
from forecast.model.rollforward import roll_forward
from forecast.model.windows import make, split_panel


def _sine_windows(out_len: int = 4):
    z = np.sin(np.arange(200) * 2 * np.pi / 12)
    ws = make(z, 12, out_len, 0)
    train_idx, val_idx = split_panel(np.array([len(z)]), 12 + out_len, out_len, 24)
    return ws, train_idx, val_idx


def _model(kind: ModelKind = ModelKind.gru, out_len: int = 4):
    torch.manual_seed(0)
    return build_model(ModelConfig(kind=kind, layers=1, hidden_size=16, output_size=out_len))


@pytest.mark.parametrize("kind", list(ModelKind))
def test_fit_learns_a_sine(kind: ModelKind) -> None:
    ws, tr, va = _sine_windows()
    model = _model(kind)
    cfg = TrainConfig(
        epochs=30, lr=1e-2, patience=30, device=Device.cpu, loss=Loss.mse, schedule=Schedule.plateau
    )
    result = fit(model, ws, tr, va, cfg, seed_everything(0))
    losses = [h[2] for h in result.history]
    assert losses[-1] < 0.1 * losses[0]  # validation loss fell by 10x
    assert result.best_epoch == int(np.argmin(losses)) + 1


def test_early_stopping_restores_best_weights() -> None:
    ws, tr, va = _sine_windows()
    model = _model()
    cfg = TrainConfig(epochs=200, lr=5e-2, patience=3, device=Device.cpu, schedule=Schedule.plateau)
    result = fit(model, ws, tr, va, cfg, seed_everything(0))
    assert result.stopped_early and result.epochs_run < 200
    assert result.epochs_run - result.best_epoch == 3
    best_val = min(h[2] for h in result.history)
    x, y = ws.batch(va)
    with torch.no_grad():
        val = torch.nn.L1Loss()(model(torch.from_numpy(x)), torch.from_numpy(y)).item()
    assert val == pytest.approx(best_val, rel=1e-5)


def test_nan_loss_stops_with_training_error() -> None:
    z = np.sin(np.arange(100.0))
    z[50] = np.nan
    ws = make(z, 10, 1, 0)
    tr, va = split_panel(np.array([len(z)]), 11, 1, 0)
    with pytest.raises(TrainingError, match="diverged"):
        fit(_model(out_len=1), ws, tr, va, TrainConfig(epochs=2, device=Device.cpu), seed_everything(0))


def test_no_windows_is_a_training_error() -> None:
    ws = make(np.arange(3.0), 10, 1, 0)
    with pytest.raises(TrainingError, match="no training windows"):
        fit(_model(), ws, np.arange(0), np.arange(0), TrainConfig(device=Device.cpu), seed_everything(0))


def test_same_seed_same_weights() -> None:
    ws, tr, va = _sine_windows()
    outs = []
    for _ in range(2):
        model = _model(ModelKind.lstm)
        fit(model, ws, tr, va, TrainConfig(epochs=3, device=Device.cpu), seed_everything(7))
        outs.append(roll_forward(model, ws.windows[-1][:12], 0, 9))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_on_epoch_callback_sees_every_epoch() -> None:
    ws, tr, va = _sine_windows()
    seen = []
    fit(
        _model(),
        ws,
        tr,
        va,
        TrainConfig(epochs=4, patience=10, device=Device.cpu),
        seed_everything(0),
        on_epoch=seen.append,
    )
    assert [s.epoch for s in seen] == [1, 2, 3, 4] and all(s.val_loss is not None for s in seen)


def test_cuda_without_gpu_is_a_usage_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(UsageError, match="--device cuda"):
        resolve_device(Device.cuda)
    assert resolve_device(Device.auto).type == "cpu"


def test_roll_forward_longer_than_output() -> None:
    model = _model(out_len=4)
    out = roll_forward(model, np.zeros((3, 12)), 0, 10)
    assert out.shape == (3, 10)
