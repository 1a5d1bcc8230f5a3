"""The recent-results memo: each entry is found once, and the oldest go first once the budget is spent."""

from __future__ import annotations

from streams.recent import Recent


def test_an_entry_is_taken_once() -> None:
    memo: Recent[str, int] = Recent(4)
    memo.put("a", 1)
    assert memo.take("a") == 1
    assert memo.take("a") is None
    assert (memo.hits, memo.misses, len(memo)) == (1, 1, 0)


def test_the_oldest_go_first_when_the_budget_is_spent() -> None:
    memo: Recent[str, bytes] = Recent(10, len)
    memo.put("a", b"1234")
    memo.put("b", b"1234")
    memo.put("c", b"1234")  # 12 > 10: "a" goes
    assert memo.take("a") is None
    assert memo.take("b") == b"1234"
    memo.put("d", b"123456")  # 4 + 6 = 10 fits
    assert [memo.take(k) for k in "cd"] == [b"1234", b"123456"]


def test_taking_frees_its_cost_and_a_replaced_entry_is_not_counted_twice() -> None:
    memo: Recent[str, bytes] = Recent(8, len)
    memo.put("a", b"12345678")
    assert memo.take("a") is not None
    memo.put("b", b"1234")
    memo.put("b", b"5678")
    memo.put("c", b"1234")  # 4 + 4 = 8: nothing evicted
    assert [memo.take(k) for k in "bc"] == [b"5678", b"1234"]


def test_a_value_over_the_whole_budget_is_not_kept() -> None:
    memo: Recent[str, bytes] = Recent(3, len)
    memo.put("small", b"12")
    memo.put("big", b"1234")
    assert memo.take("big") is None
    assert memo.take("small") == b"12"  # and it did not push out what fits
