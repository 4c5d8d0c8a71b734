import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from edgelmk.codecs.integer import check_quantized, dequantize, quantize_per_tensor


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
