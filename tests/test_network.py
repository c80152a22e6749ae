"""The course's week-2 network in the core: its data against scikit-learn, backpropagation against
finite differences and torch autograd, its steps against the surfaces' own rule, and the course's
published accuracies."""

import math

import numpy as np
import pytest

import optimizers
import surfaces


def test_the_moons_are_scikit_learns():
    from sklearn.datasets import make_moons
    X, y = surfaces.moons()
    np.random.seed(3)  # as the assignment's load_dataset does
    expected_X, expected_y = make_moons(n_samples=300, noise=0.2)
    np.testing.assert_array_equal(X, expected_X)
    np.testing.assert_array_equal(y, expected_y)
    for n, noise, seed in ((301, 0.1, 0), (50, 0.0, 7)):
        A, b = make_moons(n_samples=n, noise=noise, random_state=seed)
        np.testing.assert_array_equal(surfaces.moons(n, noise, seed)[0], A)


def test_he_initialisation_is_the_courses():
    theta = optimizers.network_init()
    rng = np.random.RandomState(3)
    W1 = rng.randn(5, 2) * np.sqrt(2 / 2)
    W2 = rng.randn(2, 5) * np.sqrt(2 / 5)
    W3 = rng.randn(1, 2) * np.sqrt(2 / 2)
    np.testing.assert_array_equal(theta, np.concatenate([W1.ravel(), np.zeros(5), W2.ravel(), np.zeros(2),
                                                         W3.ravel(), np.zeros(1)]))


def numpy_forward(theta, X):
    """The course's forward_propagation, written from its formulas."""
    W1, b1 = theta[:10].reshape(5, 2), theta[10:15]
    W2, b2 = theta[15:25].reshape(2, 5), theta[25:27]
    W3, b3 = theta[27:29].reshape(1, 2), theta[29:30]
    a1 = np.maximum(0, X @ W1.T + b1)
    a2 = np.maximum(0, a1 @ W2.T + b2)
    return (1 / (1 + np.exp(-(a2 @ W3.T + b3))))[:, 0]


def numpy_cost(theta, X, y):
    p = numpy_forward(theta, X)
    return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))


def test_forward_pass_and_cost_match_numpy():
    X, y = surfaces.moons()
    theta = optimizers.network_init(seed=5) + 0.1
    np.testing.assert_allclose(optimizers.network_output(theta, X), numpy_forward(theta, X), rtol=1e-13)
    assert optimizers.network_cost(theta, X, y)[0] == pytest.approx(numpy_cost(theta, X, y), rel=1e-13)
    thetas = theta + np.random.default_rng(0).normal(0, 0.1, (5, 30))
    np.testing.assert_allclose(optimizers.network_costs(thetas, X, y), [numpy_cost(t, X, y) for t in thetas],
                               rtol=1e-13)


def test_a_landscape_costs_each_point_as_the_forward_pass_does_to_the_bit():
    """network_costs runs all samples at once; its sums are network_output's, in the same order."""
    X, y = surfaces.moons()
    thetas = optimizers.network_init(seed=2) + np.random.default_rng(1).normal(0, 0.5, (7, 30))
    for theta, cost in zip(thetas, optimizers.network_costs(thetas, X, y)):
        total = 0.0
        for p, label in zip(optimizers.network_output(theta, X), y):
            total += -math.log(p) if label == 1.0 else -math.log(1.0 - p)
        assert cost == total / len(X)


def test_backpropagation_matches_finite_differences():
    X, y = surfaces.moons()
    theta = optimizers.network_init(seed=5) + 0.05
    _, gradient = optimizers.network_cost(theta, X, y)
    h = 1e-6
    numeric = np.array([(numpy_cost(theta + h * e, X, y) - numpy_cost(theta - h * e, X, y)) / (2 * h)
                        for e in np.eye(len(theta))])
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-9)


def test_backpropagation_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    X, y = surfaces.moons()
    theta = optimizers.network_init(seed=6) + 0.05
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    a1 = torch.relu(Xt @ t[:10].reshape(5, 2).T + t[10:15])
    a2 = torch.relu(a1 @ t[15:25].reshape(2, 5).T + t[25:27])
    p = torch.sigmoid(a2 @ t[27:29].reshape(1, 2).T + t[29:30])[:, 0]
    cost = torch.mean(-yt * torch.log(p) - (1 - yt) * torch.log(1 - p))
    cost.backward()
    value, gradient = optimizers.network_cost(theta, X, y)
    assert value == pytest.approx(cost.item(), rel=1e-13)
    np.testing.assert_allclose(gradient, t.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name, hyper", [("gd", {}), ("momentum", {"beta": 0.9}),
                                         ("adam", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8})])
def test_each_step_is_the_surfaces_rule(name, hyper):
    """The network's training equals, step for step, the same optimizer run coordinate by coordinate
    by optimizers.run over surfaces whose gradients are the network's (pairs of parameters as (x, y)
    of one optimizer state): the same rule, not a second copy. Checked through NumPy here: each
    batch's gradient from backpropagation, then the update written out from the notes' formulas."""
    X, y = surfaces.moons()
    epochs, batch = 3, 64
    run = optimizers.train_network(X, y, name, lr=0.01, epochs=epochs, batch_size=batch, every=1, **hyper)
    theta = optimizers.network_init()
    m1, m2 = np.zeros_like(theta), np.zeros_like(theta)
    t = 0
    orders = optimizers.course_orders(len(X), epochs, 10)
    for epoch in range(epochs):
        for start in range(0, len(X), batch):
            rows = orders[epoch][start:start + batch]
            _, g = optimizers.network_cost(theta, X[rows], y[rows])
            t += 1
            if name == "gd":
                theta = theta - 0.01 * g
            elif name == "momentum":
                m1 = 0.9 * m1 + 0.1 * g
                theta = theta - 0.01 * m1
            else:
                m1 = 0.9 * m1 + 0.1 * g
                m2 = 0.999 * m2 + 0.001 * g * g
                theta = theta - 0.01 * (m1 / (1 - 0.9**t)) / (np.sqrt(m2 / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(run.snapshots[epoch], theta, rtol=1e-11, atol=1e-13)


def test_the_course_published_accuracies_are_reproduced():
    """The course's table after 10 000 epochs: GD 79.7 %, momentum 79.7 %, Adam 94 %; and with the
    scheduled decay GD above 94.6 %, momentum near 95.6 %, Adam 94 % (within two points)."""
    X, y = surfaces.moons()
    adam = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    accuracy = {}
    for name, hyper in (("gd", {}), ("momentum", {"beta": 0.9}), ("adam", adam)):
        accuracy[name] = optimizers.network_accuracy(optimizers.train_network(X, y, name, **hyper).theta, X, y)
        lr = 0.01 if name == "adam" else 0.1
        decayed = optimizers.train_network(X, y, name, lr=lr, decay_every=1000, **hyper).theta
        accuracy[name + "_decay"] = optimizers.network_accuracy(decayed, X, y)
    assert round(100 * accuracy["gd"], 1) == 79.7 and round(100 * accuracy["momentum"], 1) == 79.7
    assert round(100 * accuracy["adam"], 1) == 94.0
    assert 100 * accuracy["gd_decay"] > 94.6 and abs(100 * accuracy["momentum_decay"] - 95.6) <= 2
    assert abs(100 * accuracy["adam_decay"] - 94.0) <= 2


def test_filter_normalised_directions_match_each_neurons_weights():
    theta = optimizers.network_init(seed=1)
    d = optimizers.filter_normalized_direction(theta, seed=3)
    for start, n_in, n_out in ((0, 2, 5), (15, 5, 2), (27, 2, 1)):
        for o in range(n_out):
            row = slice(start + o * n_in, start + (o + 1) * n_in)
            assert np.linalg.norm(d[row]) == pytest.approx(np.linalg.norm(theta[row]), rel=1e-12)
    assert np.all(d[10:15] == 0) and np.all(d[25:27] == 0) and d[29] == 0  # biases stay put


def test_a_diverging_network_reports_its_epoch():
    X, y = surfaces.moons()
    run = optimizers.train_network(X, y, "adam", lr=10.0, epochs=200)  # saturated: p = 1 exactly, log 0
    assert run.diverged_at is not None and np.isnan(run.costs[-1])
    for bad in (dict(lr=0.0), dict(lr=11.0), dict(epochs=0), dict(batch_size=0), dict(sizes=(2, 5, 2))):
        with pytest.raises(ValueError):
            optimizers.train_network(X, y, "gd", **{"epochs": 10, **bad})


@pytest.mark.parametrize("name, hyper, decay_every", [("gd", {}, None), ("adam", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, 1000)])
def test_a_shorter_training_is_the_start_of_a_longer_one(name, hyper, decay_every):
    """Lesson 12 trains each setting once for 10 000 epochs and shows the first E of them for the
    epochs slider: exactly a training for E epochs, because every epoch's batch order has its own
    seed and the decay depends on the epoch alone."""
    X, y = surfaces.moons()
    lr = 0.01 if decay_every else 0.0007
    long = optimizers.train_network(X, y, name, lr=lr, epochs=4000, batch_size=64, every=250,
                                    decay_every=decay_every, **hyper)
    short = optimizers.train_network(X, y, name, lr=lr, epochs=2500, batch_size=64, every=250,
                                     decay_every=decay_every, **hyper)
    np.testing.assert_array_equal(short.costs, long.costs[:2500])
    np.testing.assert_array_equal(short.snapshots, long.snapshots[:10])
    np.testing.assert_array_equal(short.theta, long.snapshots[9])


@pytest.fixture
def kept(tmp_path, monkeypatch):
    """optimizers.course_network with its results' folder in tmp_path and 40-epoch trainings."""
    from optimizers import course_network
    folder = tmp_path / "0123456789ab"  # named like a digest of the code, as the real ones are
    folder.mkdir()
    monkeypatch.setattr(course_network, "folder", lambda: folder)
    monkeypatch.setattr(course_network, "EPOCHS", 40)
    monkeypatch.setattr(course_network, "FRAME_EVERY", 10)
    monkeypatch.setattr(course_network, "DECAY_EVERY", 10)
    return course_network


def _assert_same_runs(got, expected):
    assert list(got) == list(expected)
    for name in expected:
        np.testing.assert_array_equal(got[name][0], expected[name][0])
        np.testing.assert_array_equal(got[name][1], expected[name][1])
        assert got[name][2] == expected[name][2]


def test_lesson_12s_trainings_come_back_from_disk_bit_for_bit(kept, monkeypatch):
    """A class on lesson 12 asks for settings faster than two cores train them: each is trained
    once per machine and read back exactly, also one optimizer's runs out of the file of three."""
    fresh = kept.train_all("decay", 0.0007, 32, seed=1)
    _assert_same_runs(kept.trainings("decay", 0.0007, 32, seed=1), fresh)
    assert len(list(kept.folder().glob("*.npz"))) == 1

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")
    monkeypatch.setattr(kept, "train_all", no_training)
    _assert_same_runs(kept.trainings("decay", 0.0007, 32, seed=1), fresh)
    _assert_same_runs(kept.trainings("decay", 0.0007, 32, 1, ("adam",)), {"adam": fresh["adam"]})


def test_a_diverged_run_keeps_its_epoch_on_disk(kept):
    runs = kept.trainings("constant", 10.0, 300, names=("adam",))  # saturates at once
    assert runs["adam"][2] is not None
    _assert_same_runs(kept.trainings("constant", 10.0, 300, names=("adam",)), runs)


def test_a_damaged_training_file_is_trained_again(kept):
    runs = kept.trainings("constant", 0.01, 64)
    (path,) = kept.folder().glob("*.npz")
    path.write_bytes(path.read_bytes()[:100])  # e.g. a disk that filled up
    _assert_same_runs(kept.trainings("constant", 0.01, 64), runs)
    assert kept._load(path, tuple(kept.RACERS)) is not None  # replaced by a whole file


def test_without_a_writable_folder_lesson_12_trains_in_memory(kept, monkeypatch):
    monkeypatch.setattr(kept, "folder", lambda: None)
    _assert_same_runs(kept.trainings("constant", 0.01, 64), kept.train_all("constant", 0.01, 64))
    assert kept.precompute() == (0, 0)


def test_precompute_covers_every_setting_the_page_offers(kept, monkeypatch):
    """Every (schedule, α, B, seed) the controls can reach, and Adam alone at Keskar's two batch
    sizes for every (schedule, α) of seed 0; a second pass finds them all kept."""
    offered = {("constant", lr, b, s) for lr in kept.RATES for b in kept.BATCHES for s in kept.SEEDS}
    offered |= {("decay", kept.COURSE_LR, b, s) for b in kept.BATCHES for s in kept.SEEDS}
    listed = list(kept.settings())
    assert {s[:4] for s in listed if s[4] == tuple(kept.RACERS)} == offered
    assert {s[:4] for s in listed if s[4] == ("adam",)} == {
        (schedule, lr, b, 0) for schedule, lr, _, _ in offered for b in kept.KESKAR_BATCHES}
    assert len(listed) == len(set(listed))
    alone = [s for s in listed if s[4] == ("adam",)]
    assert listed[:3] == [("constant", kept.COURSE_LR, b, 0, tuple(kept.RACERS)) for b in (64, 8, 16)]
    assert alone[0][2] == 16 and alone[1][2] == 300
    # Adam alone at B = 16 is in the file of all three at B = 16: found, not trained again
    monkeypatch.setattr(kept, "settings", lambda: iter(listed[:3] + alone[:2]))
    assert kept.precompute() == (4, 1)
    assert kept.precompute() == (0, 5)


def test_precompute_removes_the_trainings_of_other_versions_and_half_written_files(tmp_path, monkeypatch):
    """Each edit of optimizers/ or surfaces/ is a new folder of trainings (38 MB); once this
    version's are all kept, those of the others beside it go, and so does a file a killed process
    left half-written an hour ago. Other folders, and a file being written now, stay."""
    from optimizers import course_network
    current, old, older, other = (tmp_path / name for name in ("0123456789ab", "ba9876543210", "00000000000f", "notes"))
    for folder in (current, old, older, other):
        folder.mkdir()
        (folder / "constant-0.01-64-0-gd.npz").write_bytes(b"kept")
    import os
    import time
    killed, writing = current / ".constant-0.01-8-0-gd.npz.4242.1", current / ".constant-0.01-16-0-gd.npz.4343.2"
    for partial in (killed, writing):
        partial.write_bytes(b"half")
    os.utime(killed, (time.time() - 3600, time.time() - 3600))
    monkeypatch.setattr(course_network, "folder", lambda: current)
    monkeypatch.setattr(course_network, "settings", lambda: iter(()))
    assert course_network.precompute() == (0, 0)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["0123456789ab", "notes"]
    assert sorted(path.name for path in current.iterdir()) == [writing.name, "constant-0.01-64-0-gd.npz"]
    assert (current / "constant-0.01-64-0-gd.npz").read_bytes() == b"kept"
