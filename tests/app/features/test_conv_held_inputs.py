"""A large input travels once: conv.run names it (input_ref), and later requests send the name.

Through the real server: a request naming the input gets the same numbers as one carrying
them; a name the server does not hold (or of another size, or malformed) is refused naming
input_ref, so the page knows to send the numbers again; small inputs are never named; and
what the server holds is bounded, the least recently used input leaving first.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.features.held_inputs import MIN_VALUES, HeldInputs, digest
from engine import conv2d, trace

from ..conftest import assert_explained, grid_params

# The playground's largest setup at a smaller size: 3 channels, 16 filters of 11×11 at stride 4.
SIDE = 96


def big_input(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, (3, SIDE, SIDE)).astype(np.float32)  # (3, H, W)


def filters() -> np.ndarray:
    return np.random.default_rng(9).uniform(-1, 1, (16, 3, 11, 11)).astype(np.float32)  # (16, 3, 11, 11)


def by_name(params: dict, ref: str) -> dict:
    """The same request with the input named instead of carried."""
    return {**params, "input": {**params["input"], "values": []}, "input_ref": ref}


def test_a_named_input_gives_the_same_answer_as_its_numbers(page):
    x, w = big_input(), filters()
    params = grid_params(x, w, stride=[4, 4], padding=[1, 1, 1, 1], pad_mode="reflect")
    first = page.ask("conv.run", params)
    ref = first.meta["input_ref"]
    assert isinstance(ref, str) and len(ref) == 32
    y = conv2d(x[None], w, stride=4, padding=1, pad_mode="reflect")[0]  # (16, OH, OW)
    np.testing.assert_array_equal(first.arrays["output"], y)
    for stride in (4, 5):  # a slider moves: only the settings travel
        again = page.ask("conv.run", by_name({**params, "stride": [stride, stride]}, ref))
        assert again.type == "conv.result" and again.meta["input_ref"] == ref
        want = conv2d(x[None], w, stride=stride, padding=1, pad_mode="reflect")[0]  # (16, OH, OW)
        np.testing.assert_array_equal(again.arrays["output"], want)
        np.testing.assert_array_equal(again.arrays["padded"], first.arrays["padded"])


def test_a_trace_may_name_the_input(page):
    x, w = big_input(1), filters()
    params = grid_params(x, w, stride=[4, 4])
    ref = page.ask("conv.run", params).meta["input_ref"]
    answer = page.ask("conv.trace", {**by_name(params, ref), "filter": 5, "start": 40, "count": 7})
    assert answer.type == "conv.trace", answer.header
    t = trace.conv2d_trace(x[None], w[5:6], np.zeros(1, np.float32), stride=4, start=40, count=7).arrays()
    np.testing.assert_array_equal(answer.arrays["result"], t["result"])
    np.testing.assert_array_equal(answer.arrays["window"], t["window"])


def test_pages_sending_the_same_numbers_share_one_name_and_others_get_their_own(page, open_page):
    w = filters()
    ref = page.ask("conv.run", grid_params(big_input(2), w)).meta["input_ref"]
    assert open_page().ask("conv.run", grid_params(big_input(2), w)).meta["input_ref"] == ref
    assert page.ask("conv.run", grid_params(big_input(3), w)).meta["input_ref"] != ref


def test_a_small_input_is_never_named(page):
    side = int(np.sqrt(MIN_VALUES)) - 1
    x = np.ones((1, side, side), np.float32)  # (1, H, W) just under the size worth naming
    answer = page.ask("conv.run", grid_params(x, np.ones((1, 1, 3, 3), np.float32)))
    assert answer.type == "conv.result" and answer.meta["input_ref"] is None


def test_an_unknown_name_is_refused_naming_input_ref(page):
    params = grid_params(big_input(), filters())
    assert_explained(page, "conv.run", by_name(params, "0" * 32), "invalid", "input_ref", "send the numbers")
    assert_explained(
        page, "conv.trace", by_name(params, "f" * 32), "invalid", "input_ref", "no input this server holds"
    )


def test_a_name_of_another_size_or_malformed_or_beside_numbers_is_refused(page):
    x, w = big_input(4), filters()
    params = grid_params(x, w)
    ref = page.ask("conv.run", params).meta["input_ref"]
    smaller = by_name(grid_params(x[:, :-1, :-1], w), ref)
    assert_explained(page, "conv.run", smaller, "invalid", "input_ref", f"names a 3 × {SIDE} × {SIDE} input")
    assert_explained(page, "conv.run", by_name(params, "not-a-name"), "invalid", "input_ref", "32 hex digits")
    assert_explained(
        page, "conv.run", {**params, "input_ref": ref}, "invalid", "input.values", "must be empty ([]) when input_ref"
    )


def test_answers_travel_uncompressed(page):
    """Deflate shrinks float32 arrays by under a tenth and costs more time than the convolution."""
    assert page.ws.protocol.extensions == []


# ---------------------------------------------------------------- the store itself


def held_array(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (1, 1, 32, 32)).astype(np.float32)  # (1, 1, 32, 32): 4 kB


def test_what_is_held_is_bounded_and_the_least_recently_used_leaves_first():
    store = HeldInputs(max_bytes=3 * 4096)
    a, b, c, d = (held_array(i) for i in range(4))
    ra, rb, rc = store.hold(a), store.hold(b), store.hold(c)
    assert store.get(ra) is a  # a is now the most recently used; b the least
    rd = store.hold(d)
    assert store.get(rb) is None
    assert store.get(ra) is a and store.get(rc) is c and store.get(rd) is d
    assert len(store) == 3 and store.nbytes == 3 * 4096


def test_holding_the_same_numbers_again_keeps_one_copy():
    store = HeldInputs(max_bytes=10 * 4096)
    ref = store.hold(held_array(0))
    assert store.hold(held_array(0)) == ref
    assert len(store) == 1 and store.nbytes == 4096


def test_a_name_depends_on_the_shape_as_well_as_the_bytes():
    x = held_array(0)
    assert digest(x) == digest(x.copy())
    assert digest(x) != digest(x.reshape(1, 1, 16, 64))
    y = x.copy()
    y[0, 0, 31, 31] = np.nextafter(y[0, 0, 31, 31], np.float32(2))  # one value, one step of float32
    assert digest(x) != digest(y)


@pytest.mark.parametrize("max_bytes", [0, 100])
def test_an_input_larger_than_the_whole_store_is_still_held_until_the_next(max_bytes):
    store = HeldInputs(max_bytes=max_bytes)
    ra = store.hold(held_array(0))
    assert store.get(ra) is not None  # the page that sent it can still name it once
    rb = store.hold(held_array(1))
    assert store.get(ra) is None and store.get(rb) is not None
