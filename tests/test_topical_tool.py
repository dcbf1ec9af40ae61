"""bench/topical.py's scoring on hand-made examples: a wrong nDCG would mislead every
comparison made with it, and it is cheap to pin down."""

import math

from bench.topical import ndcg, score_run, unjudged_pool


def test_ndcg_is_one_for_the_ideal_order_and_uses_gain_two_to_the_grade():
    judged = {"a": 2, "b": 1, "c": 0}
    assert ndcg(["a", "b", "c"], judged) == 1.0
    swapped = (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert math.isclose(ndcg(["b", "a"], judged), swapped)


def test_unjudged_articles_count_zero_and_the_ideal_comes_from_all_judged():
    judged = {"a": 2, "z": 2}
    assert math.isclose(ndcg(["x", "a"], judged), (3 / math.log2(3)) / (3 + 3 / math.log2(3)))
    assert ndcg([], judged) == 0.0
    assert ndcg(["a"], {}) == 0.0


def test_score_run_splits_kinds_and_counts_unjudged():
    queries = [{"qid": "1", "query": "x", "kind": "topical"},
               {"qid": "2", "query": "y", "kind": "topical_nodiacritics"}]
    row = score_run(queries, {"1": ["a", "n"], "2": []}, {"1": {"a": 1}, "2": {"b": 2}})
    assert row["marked"] == 1.0 and row["unmarked"] == 0.0 and row["all"] == 0.5
    assert row["unjudged"] == 1 and row["empty"] == 1


def test_pool_leaves_out_what_is_judged_and_repeats_nothing():
    queries = [{"qid": "1", "query": "x", "kind": "topical"}]
    pool = unjudged_pool(queries, [{"1": ["a", "b"]}, {"1": ["b", "c"]}], {"1": {"a": 0}})
    assert pool == {"1": ["b", "c"]}
