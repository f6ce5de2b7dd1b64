from __future__ import annotations

import threading

from services.matching.domain import TextIndex
from services.matching.service.programme import SummaryCache


class Counting:
    def __init__(self, release: threading.Event | None = None) -> None:
        self.calls = 0
        self.release = release

    def __call__(self) -> dict:
        self.calls += 1
        if self.release is not None:
            self.release.wait(timeout=30)
        return {"answer": self.calls}


class TestSummaryCache:
    def test_the_same_snapshot_is_answered_once(self) -> None:
        cache, index, compute = SummaryCache(), TextIndex.build([]), Counting()
        first = cache.answer("q", index, compute)
        assert cache.answer("q", index, compute) is first
        assert compute.calls == 1

    def test_a_new_snapshot_or_another_question_is_computed_again(self) -> None:
        cache, compute = SummaryCache(), Counting()
        before, after = TextIndex.build([]), TextIndex.build([])
        cache.answer("q", before, compute)
        assert cache.answer("q", after, compute) == {"answer": 2}
        assert cache.answer("other", after, compute) == {"answer": 3}

    def test_an_answer_older_than_the_maximum_age_is_computed_again(self) -> None:
        cache, index, compute = SummaryCache(max_age_seconds=0), TextIndex.build([]), Counting()
        cache.answer("q", index, compute)
        cache.answer("q", index, compute)
        assert compute.calls == 2

    def test_requests_arriving_together_share_one_computation(self) -> None:
        release = threading.Event()
        cache, index, compute = SummaryCache(), TextIndex.build([]), Counting(release)
        answers: list[dict] = []
        threads = [
            threading.Thread(target=lambda: answers.append(cache.answer("q", index, compute)))
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        release.set()
        for thread in threads:
            thread.join(timeout=30)
        assert compute.calls == 1
        assert answers == [{"answer": 1}] * 4
