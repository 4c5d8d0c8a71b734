"""Bop in PyTorch flips a binary weight when its gradient average passes the threshold, as Larq's Bop does."""

from tests.helpers import optional_import

torch = optional_import("torch")

from edgelmk.nn.bop import Bop  # noqa: E402


def test_a_weight_flips_once_the_average_gradient_pushes_against_its_sign():
    weight = torch.nn.Parameter(torch.tensor([0.3, -0.2, 0.5, -0.7]))
    bop = Bop([weight], threshold=0.02, gamma=0.5)
    weight.grad = torch.tensor([0.2, 0.2, -0.2, 0.0])  # averages 0.1, 0.1, -0.1, 0
    bop.step()
    # w m = 0.03, -0.02, -0.05, 0: only the first passes the threshold and flips; all become +-1
    assert weight.tolist() == [-1.0, -1.0, 1.0, -1.0]
    weight.grad = torch.tensor([0.2, -0.4, 0.0, 0.0])  # averages 0.15, -0.15, -0.05, 0: w m = -0.15, 0.15, ...
    bop.step()
    assert weight.tolist() == [-1.0, 1.0, 1.0, -1.0]
    assert torch.allclose(bop.state[weight]["average"], torch.tensor([0.15, -0.15, -0.05, 0.0]))


def test_it_matches_larqs_bop_step_for_step():
    optional_import("larq")
    from edgelmk.keras.layers import lq, tf

    generator = torch.Generator().manual_seed(0)
    start = torch.randn(64, generator=generator)
    gradients = [torch.randn(64, generator=generator) * 1e-3 for _ in range(5)]
    weight = torch.nn.Parameter(start.clone())
    bop = Bop([weight], threshold=1e-5, gamma=0.3)
    variable = tf.Variable(start.numpy())
    larq_bop = lq.optimizers.Bop(threshold=1e-5, gamma=0.3)
    for gradient in gradients:
        weight.grad = gradient.clone()
        bop.step()
        larq_bop.apply_gradients([(tf.constant(gradient.numpy()), variable)])
        assert weight.detach().numpy().tolist() == variable.numpy().tolist()
