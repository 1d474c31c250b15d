#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Trains models/sine-forecast: a one-step-ahead forecaster of a sum of sines.

A placeholder model for the demo and the examples, trained in PyTorch and
exported with tools/export_pytorch.py. Run from the repository root:

    /usr/bin/python3 models/sine-forecast/recipe.py

Writes sine-forecast.safetensors and sine-test.csv (an unseen stretch of the
series, one value per line) next to this script. Deterministic (seeded).
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tools"))
from export_pytorch import export  # noqa: E402

torch.manual_seed(0)
torch.set_num_threads(1)
rng = np.random.default_rng(0)


def series(n, phase):
    t = np.arange(n) + phase
    return (np.sin(2 * math.pi * t / 37.0) + 0.5 * np.sin(2 * math.pi * t / 11.0)
            + 0.05 * rng.standard_normal(n)).astype(np.float32)


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(1, 32, batch_first=True)
        self.head = nn.Linear(32, 1)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


model = Forecaster()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
train = series(20000, 0)
window = 100
for step in range(600):
    starts = rng.integers(0, len(train) - window - 1, size=32)
    x = np.stack([train[s:s + window] for s in starts])[..., None]
    y = np.stack([train[s + 1:s + window + 1] for s in starts])[..., None]
    loss = nn.functional.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y))
    opt.zero_grad()
    loss.backward()
    opt.step()

test = series(400, 123456)
with torch.no_grad():
    pred = model(torch.from_numpy(test[None, :, None]))[0, :, 0].numpy()
rmse = float(np.sqrt(np.mean((pred[:-1] - test[1:]) ** 2)))
persist = float(np.sqrt(np.mean((test[:-1] - test[1:]) ** 2)))
print(f"final train loss {loss.item():.5f}; test RMSE {rmse:.4f} vs persistence {persist:.4f}")

export(model, os.path.join(here, "sine-forecast.safetensors"), task="forecast",
       labels=["next"],
       description="One-step-ahead forecast of sin(2 pi t/37) + 0.5 sin(2 pi t/11) + noise "
                   "(placeholder demo model).",
       training=f"PyTorch Adam lr 0.01, 600 steps of 32 windows x {window}; final MSE "
                f"{loss.item():.5f}; test RMSE {rmse:.4f} (persistence {persist:.4f})")
np.savetxt(os.path.join(here, "sine-test.csv"), test, fmt="%.6f", header="value",
           comments="")
