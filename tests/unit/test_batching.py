"""newsflow/batching.py on its own: items of one group share a model call, each article gets its own results
(the translator behind it is tested in test_translation.py, the encoder in test_tag.py)."""

from concurrent.futures import ThreadPoolExecutor

from newsflow.batching import Batcher, Batching


def test_only_items_of_one_group_share_a_model_call_and_each_article_gets_its_own_results():
    calls: list[tuple[str, list[int]]] = []

    def run(group: str, items: list[int]) -> list[str]:
        calls.append((group, items))
        return [f"{group}:{item}" for item in items]

    batcher: Batcher[str, int, str] = Batcher(run, "the model", Batching(8, wait_s=0.2, timeout_s=10))
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(batcher.submit, [("x", 1), ("y", 2), ("x", 3)])
        second = pool.submit(batcher.submit, [("y", 4), ("x", 5)])
        assert first.result() == ["x:1", "y:2", "x:3"] and second.result() == ["y:4", "x:5"]
    assert sorted(group for group, _ in calls) == ["x", "y"], "one call per group: the articles were in flight together"
