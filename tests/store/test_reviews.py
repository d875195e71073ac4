"""The findings' review log: steps in order, one winner when two operators click at once,
and every decision kept."""

from __future__ import annotations

import threading

import pytest

from dronewatch.store import Finding, FindingKind, Store
from dronewatch.store.reviews import ReviewError, ReviewState, review, review_states, reviews


def _finding(store: Store) -> int:
    return store.add_finding(Finding(FindingKind.PERSON, 44.6, 88.6, 3.0, 0.9, 1.79e9,
                                     1.79e9)).id


def test_two_operators_deciding_at_once_leave_one_decision(tmp_path):
    with Store(tmp_path / "store.sqlite") as store:
        fid = _finding(store)
        outcomes: list[str] = []
        start = threading.Barrier(2)

        def decide(name: str, state: str) -> None:
            start.wait()
            try:
                review(store, fid, state, operator=name, expected="new")
                outcomes.append("ok")
            except ReviewError:
                outcomes.append("refused")

        threads = [threading.Thread(target=decide, args=a)
                   for a in (("olga", "confirmed"), ("ivan", "dismissed"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["ok", "refused"]
        assert len(reviews(store, fid)) == 1


def test_steps_out_of_order_and_unknown_findings_are_refused(tmp_path):
    with Store(tmp_path / "store.sqlite") as store:
        fid = _finding(store)
        with pytest.raises(ReviewError, match="cannot become closed"):
            review(store, fid, "closed", operator="olga")
        with pytest.raises(ReviewError, match="no such finding"):
            review(store, fid + 1, "confirmed", operator="olga")
        with pytest.raises(ReviewError, match="say who"):
            review(store, fid, "confirmed", operator=" ")
        review(store, fid, "dismissed", operator="olga", note="a warm rock")
        review(store, fid, "closed", operator="ivan")
        assert review_states(store) == {fid: ReviewState.CLOSED}
        assert [(r.operator, r.state, r.note) for r in reviews(store, fid)] == [
            ("olga", ReviewState.DISMISSED, "a warm rock"), ("ivan", ReviewState.CLOSED, "")]
