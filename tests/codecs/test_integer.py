import importlib.abc
import importlib.util
import os
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import edgelmk.codecs
from edgelmk.codecs import CODECS
from edgelmk.codecs import peaks
from edgelmk.codecs.integer import check_quantized, dequantize, quantize_per_tensor
from tests.codecs import reference


@given(arrays(np.float32, (3, 7), elements=st.floats(-5, 5, width=32)), st.sampled_from([np.int8, np.uint8]))
def test_quantize_round_trip_within_half_a_step(values, dtype):
    q, scale, zero_point = quantize_per_tensor(values, dtype)
    assert q.dtype == dtype
    np.testing.assert_allclose(dequantize(q, scale, zero_point), values, atol=scale / 2 + 1e-6)


def test_zero_is_exact_and_constant_input_is_safe():
    q, scale, zero_point = quantize_per_tensor(np.array([0.0, 0.5, 1.0]))
    assert dequantize(q, scale, zero_point)[0] == 0.0
    q, scale, zero_point = quantize_per_tensor(np.zeros(4))
    assert scale > 0 and (dequantize(q, scale, zero_point) == 0).all()


def test_quantize_rejects_other_dtypes():
    with pytest.raises(TypeError, match="int8 or uint8"):
        quantize_per_tensor(np.zeros(3), np.int16)


def test_check_quantized_keeps_the_raw_integers():
    q = np.array([-128, 0, 127], np.int8)
    checked, scale, zero_point = check_quantized(q, np.float32(0.5), np.int64(-128))
    assert checked is q and (scale, zero_point) == (0.5, -128)
    assert type(scale) is float and type(zero_point) is int


@pytest.mark.parametrize("scale, zero_point", [(0.5, 300), (-1.0, 0), (float("nan"), 0), ([0.1, 0.2], 0),
                                               (0.1, 1.5), (0.1, True), (0.1, [0, 1])])
def test_check_quantized_refuses_bad_scales_and_zero_points_by_either_path(scale, zero_point):
    with pytest.raises(ValueError, match="scale|zero_point"):
        check_quantized(np.zeros(3, np.int8), scale, zero_point)


@pytest.mark.parametrize("dtype, heatmap_hw, seed", reference.HARD_CASES)
@pytest.mark.parametrize("window", [1, 3, 5])
@pytest.mark.parametrize("backend", ["numpy", "compiled"])
def test_h3r_decode_int8_equals_the_loop_reference_bit_for_bit(dtype, heatmap_hw, seed, window, backend):
    rng = np.random.default_rng(seed)
    # strides that differ along x and y and are not integers
    codec = CODECS.build({"name": "h3r", "input_hw": [4 * heatmap_hw[0] + 3, 3 * heatmap_hw[1] + 1],
                          "heatmap_hw": list(heatmap_hw), "window": window})
    with peaks.using_decode_backend(backend):
        assert peaks.decode_backend() == backend
        for zero_point in (int(np.iinfo(dtype).min), 0 if dtype == np.int8 else 128, int(np.iinfo(dtype).max)):
            q = reference.hard_maps(rng, (2, 24, *heatmap_hw), dtype)
            expected = reference.h3r_window(codec, q, 0.0123, zero_point)
            prepared, prepared_backend = codec.prepared_decoder(dtype, 0.0123, zero_point)
            assert prepared_backend == backend
            for fast in (codec.decode_int8(q, 0.0123, zero_point), prepared(q)):
                np.testing.assert_array_equal(fast[0], expected[0])
                np.testing.assert_array_equal(fast[1], expected[1])


@pytest.mark.parametrize("dtype, heatmap_hw, seed", reference.HARD_CASES)
@pytest.mark.parametrize("quarter_shift", [True, False])
def test_gaussian_decode_int8_equals_the_loop_reference_bit_for_bit(dtype, heatmap_hw, seed, quarter_shift):
    rng = np.random.default_rng(seed)
    codec = CODECS.build({"name": "gaussian", "input_hw": [4 * v for v in heatmap_hw], "heatmap_hw": list(heatmap_hw),
                          "quarter_shift": quarter_shift})
    q = reference.hard_maps(rng, (3, 24, *heatmap_hw), dtype)
    fast, expected = codec.decode_int8(q, 0.5, 7), reference.gaussian_argmax(codec, q, 0.5, 7)
    np.testing.assert_array_equal(fast[0], expected[0])
    np.testing.assert_array_equal(fast[1], expected[1])


@pytest.mark.parametrize("codec_name", ["h3r", "gaussian"])
def test_decode_int8_of_a_transposed_nhwc_output_equals_the_contiguous_one(codec_name):
    codec = CODECS.build({"name": codec_name, "input_hw": [64, 64], "heatmap_hw": [16, 16]})
    nhwc = reference.hard_maps(np.random.default_rng(9), (2, 68, 16, 16), np.int8).transpose(0, 2, 3, 1).copy()
    strided = codec.decode_int8(nhwc.transpose(0, 3, 1, 2), 0.01, -128)
    contiguous = codec.decode_int8(np.ascontiguousarray(nhwc.transpose(0, 3, 1, 2)), 0.01, -128)
    np.testing.assert_array_equal(strided[0], contiguous[0])


@pytest.mark.parametrize("backend", ["numpy", "compiled"])
def test_a_prepared_int8_decoder_checks_once_and_treats_other_maps_as_decode_int8_does(backend):
    codec = CODECS.build({"name": "h3r", "input_hw": [64, 64], "heatmap_hw": [16, 16]})
    with pytest.raises(ValueError, match="scale must be one positive finite number"):
        codec.prepared_decoder(np.int8, -0.1, 0)
    with pytest.raises(ValueError, match="float32 maps are not quantized: give no scale or zero_point"):
        codec.prepared_decoder(np.float32, 0.1, 0)
    with pytest.raises(TypeError, match="decode_int8 takes int8 or uint8 heatmaps, got dtype int16"):
        codec.prepared_decoder(np.int16, 0.1, 0)
    with peaks.using_decode_backend(backend):
        decode, _ = codec.prepared_decoder("int8", 0.1, -128)
    nhwc = reference.hard_maps(np.random.default_rng(4), (2, 16, 16, 5), np.int8)
    strided = nhwc.transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(decode(strided)[0], codec.decode_int8(strided, 0.1, -128)[0])
    with pytest.raises(TypeError, match="got dtype float32"):
        decode(strided.astype(np.float32))
    with pytest.raises(ValueError, match=r"heatmaps of size \(8, 8\) do not match"):
        decode(np.zeros((1, 5, 8, 8), np.int8))


def test_codecs_without_an_integer_decode_refuse_to_prepare_one():
    codec = CODECS.build({"name": "dsnt", "input_hw": [16, 16], "heatmap_hw": [4, 4]})
    with pytest.raises(NotImplementedError, match="no integer decode"):
        codec.prepared_decoder(np.int8, 0.1, 0)


def test_using_decode_backend_restores_the_variable_and_refuses_unknown_names(monkeypatch):
    monkeypatch.setenv(peaks.DECODE_BACKEND_VARIABLE, "compiled")
    with peaks.using_decode_backend("numpy"):
        assert peaks.decode_backend() == "numpy"
    assert os.environ[peaks.DECODE_BACKEND_VARIABLE] == "compiled"
    monkeypatch.delenv(peaks.DECODE_BACKEND_VARIABLE)
    with peaks.using_decode_backend("numpy"):
        pass
    assert peaks.DECODE_BACKEND_VARIABLE not in os.environ
    with pytest.raises(ValueError, match="must be one of auto, compiled, numpy, got 'numba'"):
        with peaks.using_decode_backend("numba"):
            pass


def test_an_unknown_decode_backend_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv(peaks.DECODE_BACKEND_VARIABLE, "fast")
    codec = CODECS.build({"name": "h3r", "input_hw": [64, 64], "heatmap_hw": [16, 16]})
    with pytest.raises(ValueError, match="EDGELMK_DECODE_BACKEND must be one of auto, compiled, numpy, got 'fast'"):
        codec.decode_int8(np.zeros((1, 2, 16, 16), np.int8), 0.1, 0)


class _FailingNumba(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds "numba" and fails to run it with ``error``, as numba does without a writable cache folder."""

    def __init__(self, error: Exception):
        self.error = error

    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name == "numba" else None

    def exec_module(self, module):
        raise self.error


@pytest.mark.parametrize("error", [ImportError("No module named 'numba'"),
                                   RuntimeError("cannot cache function 'window_keypoints': no locator available")])
def test_without_numba_auto_decodes_with_numpy_and_compiled_says_how_to_get_it(monkeypatch, error):
    monkeypatch.delitem(sys.modules, "numba", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_FailingNumba(error), *sys.meta_path])
    monkeypatch.delitem(sys.modules, "edgelmk.codecs.compiled", raising=False)
    monkeypatch.delattr(edgelmk.codecs, "compiled", raising=False)
    peaks._compiled_kernels.cache_clear()
    try:
        codec = CODECS.build({"name": "h3r", "input_hw": [64, 64], "heatmap_hw": [16, 16]})
        q = reference.hard_maps(np.random.default_rng(3), (1, 24, 16, 16), np.int8)
        monkeypatch.setenv(peaks.DECODE_BACKEND_VARIABLE, "auto")
        assert peaks.decode_backend() == "numpy"
        np.testing.assert_array_equal(codec.decode_int8(q, 0.1, 0)[0], reference.h3r_window(codec, q, 0.1, 0)[0])
        monkeypatch.setenv(peaks.DECODE_BACKEND_VARIABLE, "compiled")
        with pytest.raises(ImportError, match="needs numba.*pip install numba"):
            codec.decode_int8(q, 0.1, 0)
    finally:
        peaks._compiled_kernels.cache_clear()
