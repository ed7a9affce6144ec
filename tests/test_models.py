"""The variants: sizes, shapes and training objectives as the series specifies them; names from one registry."""

import pytest
import torch
import torch.nn.functional as F

from autoencoders import models
from autoencoders.data import add_noise
from autoencoders.experiments import (CONFIGURATIONS, EXPERIMENTS, LAMBDA_SWEEP, LINEAR_SWEEP, SPARSITY_FIXES,
                                      SPARSITY_WEIGHTS, SWEEP_DIMS, TOPK, UNCLIPPED, VARIANTS, label, plan)
from autoencoders.models import (ConstrainedSparseAutoencoder, ConvAutoencoder, DenoisingAutoencoder, LinearAutoencoder,
                                 ReLUSparseAutoencoder, SparseAutoencoder, TopKAutoencoder, VanillaAutoencoder,
                                 count_parameters)


def objective(model, x):
    """The loss the training loop minimises: the sum of the model's terms."""
    return sum(model.loss_terms(x).values())


@pytest.mark.parametrize("model, expected", [
    (VanillaAutoencoder(2), 1_068_306),
    (VanillaAutoencoder(32), 1_083_696),
    (DenoisingAutoencoder(32), 1_083_696),
    (SparseAutoencoder(32), 1_083_696),
    (TopKAutoencoder(32), 1_083_696),  # the vanilla network: top-k adds no parameter
    (ReLUSparseAutoencoder(32), 1_083_696),
    (ConstrainedSparseAutoencoder(32), 1_083_696),  # the raw weights; the constraint adds none
    (LinearAutoencoder(32), 1569 * 32 + 784),  # 784 d + d down, 784 d + 784 up
    (ConvAutoencoder(32), 111_521),
])
def test_parameter_counts_match_the_series(model, expected):
    assert count_parameters(model) == expected


def test_first_conv_layer_has_160_parameters():
    # The original text says 144; 16 filters of 3x3 weights plus 16 biases make 160.
    assert count_parameters(ConvAutoencoder(32).encoder[0]) == 160


@pytest.mark.parametrize("config", CONFIGURATIONS + (TOPK,), ids=lambda c: c.name)
def test_shapes_and_output_range(config):
    torch.manual_seed(0)
    model = config.build_model().eval()
    x = torch.rand(5, 1, 28, 28)
    z = model.encode(x)
    assert z.shape == (5, config.latent_dim)
    x_hat = model(x)
    assert x_hat.shape == x.shape
    assert 0.0 <= x_hat.min() and x_hat.max() <= 1.0


def test_conv_feature_maps_halve_then_double():
    model = ConvAutoencoder(32)
    x = torch.rand(2, 1, 28, 28)
    assert model.encoder[:2](x).shape == (2, 16, 14, 14)
    assert model.encoder[:4](x).shape == (2, 32, 7, 7)
    assert model.decoder[:3](torch.zeros(2, 32)).shape == (2, 16, 14, 14)


def test_denoiser_adds_fresh_noise_only_in_training_mode():
    torch.manual_seed(0)
    model = DenoisingAutoencoder(32)
    x = torch.rand(4, 1, 28, 28)
    model.eval()
    assert torch.equal(model(x), model(x))  # evaluation sees the input unchanged
    assert torch.allclose(model(x), model.decode(model.encode(x)))
    model.train()
    assert not torch.equal(model(x), model(x))  # new noise on every pass


def test_noise_is_clipped_to_the_pixel_range():
    x = torch.full((1000,), 0.5)
    noisy = add_noise(x, 3.0, torch.Generator().manual_seed(0))
    assert noisy.min() == 0.0 and noisy.max() == 1.0
    assert torch.equal(noisy, add_noise(x, 3.0, torch.Generator().manual_seed(0)))


def test_sparse_loss_is_mse_plus_lambda_times_mean_abs_code():
    torch.manual_seed(0)
    model = SparseAutoencoder(32, sparsity_weight=1e-3)
    x = torch.rand(8, 1, 28, 28)
    z = model.encode(x)
    expected = F.mse_loss(model.decode(z), x) + 1e-3 * z.abs().sum() / z.numel()
    assert torch.allclose(objective(model, x), expected)


def test_plain_variants_train_on_mse():
    torch.manual_seed(0)
    x = torch.rand(8, 1, 28, 28)
    for model in (VanillaAutoencoder(32), ConvAutoencoder(32)):
        assert torch.allclose(objective(model, x), ((model(x) - x) ** 2).mean())


def test_loss_terms_name_each_part_of_the_objective_and_sum_to_it():
    torch.manual_seed(0)
    x = torch.rand(8, 1, 28, 28)
    sparse = SparseAutoencoder(32, sparsity_weight=1e-3)
    terms = sparse.loss_terms(x)
    assert set(terms) == {"reconstruction", "penalty"}
    z = sparse.encode(x)
    assert torch.allclose(terms["reconstruction"], F.mse_loss(sparse.decode(z), x))
    assert torch.allclose(terms["penalty"], 1e-3 * z.abs().mean())
    assert torch.allclose(objective(sparse, x), terms["reconstruction"] + terms["penalty"])
    assert set(VanillaAutoencoder(32).loss_terms(x)) == {"reconstruction"}


def test_a_top_k_code_keeps_exactly_the_k_largest_units_of_each_image():
    torch.manual_seed(0)
    model = TopKAutoencoder(32, active_units=8).eval()
    x = torch.rand(16, 1, 28, 28)
    dense, z = model.encoder(x), model.encode(x)
    assert ((z != 0).sum(1) == 8).all()
    kept = z != 0
    assert torch.equal(z[kept], dense[kept])  # the kept units are unchanged
    # every kept value is at least every dropped value of the same image
    assert (dense.masked_fill(~kept, float("inf")).min(1).values
            >= dense.masked_fill(kept, float("-inf")).max(1).values).all()
    assert torch.equal(model(x), model.decode(z))  # the decoder only ever sees the sparse code


def test_the_top_k_gradient_reaches_the_encoder_through_the_kept_units_only():
    torch.manual_seed(0)
    model = TopKAutoencoder(32, active_units=8)
    x = torch.rand(1, 1, 28, 28)
    z = model.encode(x)
    last = model.encoder[-1]  # the Linear layer that produces the code
    z.sum().backward()
    rows_with_gradient = (last.weight.grad.abs().sum(1) > 0)
    assert torch.equal(rows_with_gradient, (z[0] != 0))


def test_the_experiments_test_the_sparsity_diagnosis_at_every_seed():
    assert SPARSITY_WEIGHTS == (1e-4, 1e-3, 1e-2, 1e-1)
    assert [c.sparsity_weight for c in LAMBDA_SWEEP] == list(SPARSITY_WEIGHTS)
    assert [c.name for c in LAMBDA_SWEEP] == ["sparse-d32-lambda1e-4", "sparse-d32", "sparse-d32-lambda1e-2",
                                              "sparse-d32-lambda1e-1"]
    names = [r.run_id for r in plan((0, 1, 2))]
    assert len(names) == len(set(names)) == 3 * len({c.name for c in EXPERIMENTS})
    for name in ("sparse-d32-lambda1e-1", "topk-d32"):
        assert {f"{name}-s{s}" for s in (0, 1, 2)} <= set(names)
    assert label(LAMBDA_SWEEP[-1]) == "Sparse, d = 32, λ = 1e-1"
    assert label(LAMBDA_SWEEP[1]) == "Sparse, d = 32"  # the series' own setting needs no mention
    assert label(TOPK) == "Top-k, d = 32, k = 8"


def test_every_variant_of_the_registry_names_a_model_class_and_the_setting_it_takes():
    import inspect

    for name, variant in VARIANTS.items():
        model = getattr(models, variant.model)
        assert issubclass(model, models.Autoencoder), name
        parameters = list(inspect.signature(model.__init__).parameters)[1:]
        assert parameters[0] == "latent_dim"
        assert parameters[1:] == list(variant.settings), name  # the RunConfig fields it takes, by name
        assert bool(variant.settings) == bool(variant.symbol), name  # and how labels write the first


def test_unclipped_noise_is_the_gaussian_draw_itself():
    x = torch.full((1000,), 0.5)
    noisy = add_noise(x, 3.0, torch.Generator().manual_seed(0), clip=False)
    assert torch.equal(noisy, x + 3.0 * torch.randn(1000, generator=torch.Generator().manual_seed(0)))
    assert noisy.min() < 0.0 and noisy.max() > 1.0
    assert not DenoisingAutoencoder(32, noise_clip=False).noise_clip and UNCLIPPED.build_model().noise_clip is False


def test_a_relu_code_is_never_negative_and_its_penalty_is_lambda_times_its_mean():
    torch.manual_seed(0)
    model = ReLUSparseAutoencoder(32, sparsity_weight=1e-3)
    x = torch.rand(8, 1, 28, 28)
    z = model.encode(x)
    assert (z >= 0).all() and (z == 0).any()
    assert torch.allclose(model.loss_terms(x)["penalty"], 1e-3 * z.mean())


def test_every_decoder_layer_of_the_constrained_model_keeps_unit_norm_columns():
    torch.manual_seed(0)
    model = ConstrainedSparseAutoencoder(32)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.1)
    for _ in range(3):  # large steps on the raw weights change nothing about the norms
        optimiser.zero_grad()
        objective(model, torch.rand(8, 1, 28, 28)).backward()
        optimiser.step()
    layers = [layer for layer in model.decoder if isinstance(layer, torch.nn.Linear)]
    assert len(layers) == 3
    for layer in layers:
        assert torch.allclose(layer.weight.norm(dim=0), torch.ones(layer.in_features), atol=1e-6)
    # The encoder is not constrained: only the scale the decoder can give back is.
    assert not torch.allclose(model.encoder[1].weight.norm(dim=0), torch.ones(784))


def test_the_linear_autoencoder_is_one_affine_map_each_way():
    torch.manual_seed(0)
    model = LinearAutoencoder(8).eval()
    x = torch.rand(4, 1, 28, 28)
    encoder, decoder = model.encoder[1], model.decoder[0]
    expected = (x.reshape(4, -1) @ encoder.weight.T + encoder.bias) @ decoder.weight.T + decoder.bias
    assert torch.allclose(model(x).reshape(4, -1), expected, atol=1e-6)


def test_each_fix_is_trained_beside_the_same_model_without_its_penalty():
    controls, penalised = SPARSITY_FIXES[0::2], SPARSITY_FIXES[1::2]
    for control, fixed in zip(controls, penalised):
        assert control.variant == fixed.variant and control.sparsity_weight == 0.0
        assert fixed.sparsity_weight == LAMBDA_SWEEP[1].sparsity_weight  # the series' lambda
    assert [c.latent_dim for c in LINEAR_SWEEP] == list(SWEEP_DIMS)
    names = {r.run_id for r in plan(seeds=(0, 1))}
    for config in (*LINEAR_SWEEP, *SPARSITY_FIXES, UNCLIPPED):
        assert {f"{config.name}-s0", f"{config.name}-s1"} <= names
