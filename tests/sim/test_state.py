"""WorldState: validation, digest sensitivity, immutability of the dataclass."""

import dataclasses

import numpy as np
import pytest

from sim.state import NEVER_US, empty_state
from sim.traffic import _kernels as TK


def test_empty_state_shapes_and_validate():
    st = empty_state(5, max_route=8)
    assert st.n_actors == 5 and st.max_route == 8
    assert not st.valid.any()
    assert st.validate() is st
    assert st.memory.route.shape == (5, 8)


def test_validate_rejects_wrong_dtype_and_shape():
    st = empty_state(3)
    with pytest.raises(TypeError, match="x: dtype float32"):
        st.replace(x=np.zeros(3, np.float32)).validate()
    with pytest.raises(ValueError, match="speed: shape"):
        st.replace(speed=np.zeros(4)).validate()
    with pytest.raises(TypeError, match="time_us"):
        st.replace(time_us=0.5).validate()


def test_frozen():
    st = empty_state(2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        st.time_us = 5


def test_digest_changes_with_any_field():
    st = empty_state(3)
    base = st.digest()
    assert st.digest() == base
    assert st.replace(time_us=1).digest() != base
    x = st.x.copy()
    x[2] = 1e-12
    assert st.replace(x=x).digest() != base
    route = st.memory.route.copy()
    route[0, 0] = 7
    assert st.replace(memory=dataclasses.replace(st.memory, route=route)).digest() != base
    a = st.params.a_max.copy()
    a[1] += 0.1
    assert st.replace(params=dataclasses.replace(st.params, a_max=a)).digest() != base


def test_kernel_never_constant_matches_state():
    assert TK.NEVER == NEVER_US
