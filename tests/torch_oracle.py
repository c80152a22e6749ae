"""torch.optim as the oracle: the cases, the surfaces re-written in torch (autograd gives the
gradients independently of our analytic ones) and a runner that feeds each step's learning rate."""

import numpy as np

# (case name, our optimizer, our hyper-parameters, torch class name, torch keyword arguments)
TORCH_CASES = [
    ("gd", "gd", {}, "SGD", {}),
    ("heavy_ball", "sgd_momentum", {"momentum": 0.9}, "SGD", {"momentum": 0.9}),
    ("nesterov", "sgd_momentum", {"momentum": 0.8, "nesterov": True}, "SGD",
     {"momentum": 0.8, "nesterov": True}),
    ("rmsprop", "rmsprop", {"beta": 0.9, "eps": 1e-8}, "RMSprop", {"alpha": 0.9, "eps": 1e-8}),
    ("adagrad", "adagrad", {"eps": 1e-10}, "Adagrad", {"eps": 1e-10}),
    ("adam", "adam", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, "Adam",
     {"betas": (0.9, 0.999), "eps": 1e-8}),
    ("adam_odd_betas", "adam", {"beta1": 0.5, "beta2": 0.9, "eps": 1e-6}, "Adam",
     {"betas": (0.5, 0.9), "eps": 1e-6}),
    # weight decay: λθ added to the gradient (torch's weight_decay), and AdamW's decoupled decay
    ("gd_wd", "gd", {"weight_decay": 0.1}, "SGD", {"weight_decay": 0.1}),
    ("heavy_ball_wd", "sgd_momentum", {"momentum": 0.9, "weight_decay": 0.05}, "SGD",
     {"momentum": 0.9, "weight_decay": 0.05}),
    ("nesterov_wd", "sgd_momentum", {"momentum": 0.8, "nesterov": True, "weight_decay": 0.05}, "SGD",
     {"momentum": 0.8, "nesterov": True, "weight_decay": 0.05}),
    ("rmsprop_wd", "rmsprop", {"beta": 0.9, "eps": 1e-8, "weight_decay": 0.1}, "RMSprop",
     {"alpha": 0.9, "eps": 1e-8, "weight_decay": 0.1}),
    ("adagrad_wd", "adagrad", {"eps": 1e-10, "weight_decay": 0.1}, "Adagrad", {"eps": 1e-10, "weight_decay": 0.1}),
    ("adam_wd", "adam", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1}, "Adam",
     {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}),
    ("adamw", "adamw", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1}, "AdamW",
     {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}),
]

# (surface name, its parameters, start, base learning rate per case name)
SURFACE_CASES = [
    ("rosenbrock", {}, (-1.2, 1.0),
     {"gd": 1e-3, "heavy_ball": 2e-4, "nesterov": 3e-4, "rmsprop": 2e-3, "adagrad": 0.1,
      "adam": 0.02, "adam_odd_betas": 3e-3}),
    ("elongated_bowl", {"condition": 20.0, "angle": 30.0}, (-2.0, 1.0),
     {"gd": 0.09, "heavy_ball": 0.02, "nesterov": 0.03, "rmsprop": 0.01, "adagrad": 0.5,
      "adam": 0.1, "adam_odd_betas": 0.01}),
    ("sharp_flat", {}, (0.3, 1.2),
     {"gd": 0.1, "heavy_ball": 0.02, "nesterov": 0.03, "rmsprop": 0.05, "adagrad": 0.3,
      "adam": 0.05, "adam_odd_betas": 0.01}),
]

for _, _, _, _rates in SURFACE_CASES:  # a penalised case runs at its plain case's rate
    _rates.update({f"{case}_wd": _rates[case] for case in ("gd", "heavy_ball", "nesterov", "rmsprop", "adagrad",
                                                           "adam")}, adamw=_rates["adam"])
# RMSprop at 0.05 hovers chaotically on sharp_flat once decay pulls it in (see FREE_RUNNING_HORIZON)
SURFACE_CASES[2][3]["rmsprop_wd"] = 0.005

STEPS = 400
# Free-running runs are compared up to here: later, RMSprop (β = 0.9) and Adam with β₂ = 0.9 hover
# at the minimum with sign-like steps, a chaotic regime that amplifies last-bit differences (torch
# uses lerp for its averages). Teacher-forced runs are compared over all STEPS.
FREE_RUNNING_HORIZON = 240


def learning_rate_schedule(base):
    """A mid-run change: base for 150 steps, then base/3 (checks that lr is read at every step)."""
    return np.where(np.arange(STEPS) < 150, base, base / 3.0)


def torch_loss(torch, name, params, theta):
    x, y = theta[0], theta[1]
    if name == "rosenbrock":
        return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2
    if name == "elongated_bowl":
        c = np.cos(np.radians(params["angle"]))
        s = np.sin(np.radians(params["angle"]))
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * (u * u + params["condition"] * v * v)
    if name == "sharp_flat":
        r = 0.02 * (x * x + y * y)
        r = r - torch.exp(-((x + 1.5) ** 2 + (y - 0.5) ** 2) / (2 * 0.25**2))
        return r - torch.exp(-((x - 1.5) ** 2 + (y + 0.5) ** 2) / (2 * 1.0**2))
    raise KeyError(name)


def torch_trajectory(torch, surface, params, start, class_name, kwargs, rates, grads=None):
    """Points visited by torch.optim.<class_name> from `start`, one learning rate per step.

    The gradient comes from autograd on the surface written in torch, or, teacher-forced, from
    `grads` (one row per step): then only the update rule is compared, with no feedback loop.
    """
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, class_name)([theta], lr=float(rates[0]), **kwargs)
    points = [theta.detach().numpy().copy()]
    for t, rate in enumerate(rates):
        for group in opt.param_groups:
            group["lr"] = float(rate)
        opt.zero_grad()
        if grads is None:
            torch_loss(torch, surface, params, theta).backward()
        else:
            theta.grad = torch.tensor(grads[t], dtype=torch.float64)
        opt.step()
        points.append(theta.detach().numpy().copy())
    return np.array(points)


# ----------------------------------------------------------------------------- batch normalisation

# (name, samples, batch size, momentum, steps, seed): shuffled mini-batches of a layer's pre-activations
BATCHNORM_CASES = [("pairs", 4096, 2, 0.1, 300, 0), ("small", 4096, 8, 0.2, 100, 0),
                   ("uneven", 4096, 100, 0.1, 90, 3), ("last_of_three", 1003, 500, 0.05, 12, 1)]
PROBE = 256  # the inference outputs are compared on the first PROBE samples
LAYER = np.array([[0.6, 1.1], [1.0, 0.5], [0.3, -1.2], [0.8, 0.8]])
BIAS = np.array([0.5, -1.0, 2.0, 0.0])


def batchnorm_inputs(samples):
    """Four pre-activations per sample from the neuron's inputs (a fixed layer)."""
    import surfaces
    X, _ = surfaces.neuron_samples(samples)
    return X @ LAYER.T + BIAS


def torch_batchnorm(torch, z, order, bounds, momentum):
    """torch.nn.BatchNorm1d (float64, eps 1e-5, no affine part) in train mode over the batches
    z[order[start:stop]]: its running mean and variance after every step, each batch's outputs
    (concatenated), and the inference-mode outputs of z[:PROBE] at the end."""
    layer = torch.nn.BatchNorm1d(z.shape[1], momentum=momentum, eps=1e-5, affine=False, dtype=torch.float64)
    means, variances, outputs = [], [], []
    for start, stop in bounds:
        outputs.append(layer(torch.from_numpy(z[order[start:stop]])).detach().numpy())
        means.append(layer.running_mean.numpy().copy())
        variances.append(layer.running_var.numpy().copy())
    layer.eval()
    inference = layer(torch.from_numpy(z[:PROBE])).detach().numpy()
    return np.array(means), np.array(variances), np.concatenate(outputs), inference
